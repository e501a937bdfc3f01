// SPDX-License-Identifier: Apache-2.0
// The server side of typed errors (STYLE.md item 9), shared by the scheduler and the host agent:
// a failure is thrown where it arises as a StatusError carrying the gRPC status it stands for, and
// each service's one error boundary maps it by that code, never by the message's text.

import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { errorBrand, TypedError } from '@iofleet/errors';
import type { StatusName } from './grpc-call';

const STATUS_ERROR = errorBrand<StatusError>('@iofleet/proto/StatusError');

/** A failure answered with the gRPC status `code` (a StatusName, e.g. 'NOT_FOUND'). */
export class StatusError extends TypedError<StatusName> {
  readonly [STATUS_ERROR.symbol] = true;
  override readonly name: string = 'StatusError';
}

/** True for a StatusError (or a subclass), also one from another copy of this package. */
export const isStatusError = STATUS_ERROR.is;

/** A service's error boundary: a StatusError keeps its code, anything else is INTERNAL. */
export function toServiceError(e: unknown): Partial<grpc.ServiceError> {
  if (isStatusError(e)) return { code: status[e.code], details: e.message };
  const msg = e instanceof Error ? e.message : String(e);
  return { code: status.INTERNAL, details: `internal error: ${msg}` };
}
