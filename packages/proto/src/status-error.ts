// SPDX-License-Identifier: Apache-2.0
// The server side of typed errors (STYLE.md item 9), shared by the scheduler and the host agent:
// a failure is thrown where it arises as a StatusError carrying the gRPC status it stands for, and
// each service's one error boundary maps it by that code, never by the message's text.

import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { StatusName } from './grpc-call';

const BRAND = Symbol.for('@iofleet/proto/StatusError');

export class StatusError extends Error {
  readonly [BRAND] = true;
  override readonly name: string = 'StatusError';
  constructor(
    /** The gRPC status this failure is answered with. */
    readonly code: StatusName,
    message: string,
  ) {
    super(message);
  }
}

/** True for a StatusError (or a subclass), also one from another copy of this package. */
export function isStatusError(e: unknown): e is StatusError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** A service's error boundary: a StatusError keeps its code, anything else is INTERNAL. */
export function toServiceError(e: unknown): Partial<grpc.ServiceError> {
  if (isStatusError(e)) return { code: status[e.code], details: e.message };
  const msg = e instanceof Error ? e.message : String(e);
  return { code: status.INTERNAL, details: `internal error: ${msg}` };
}
