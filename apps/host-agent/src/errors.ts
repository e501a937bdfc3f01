// SPDX-License-Identifier: Apache-2.0
// Typed agent errors and their one translation to gRPC status codes (STYLE.md item 9).

import { type ServiceError, status } from '@grpc/grpc-js';

export type AgentErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'FAILED_PRECONDITION'
  | 'ALREADY_EXISTS'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL';

const BRAND = Symbol.for('@iofleet/host-agent/AgentError');

export class AgentError extends Error {
  readonly [BRAND] = true;
  override readonly name = 'AgentError';
  constructor(
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isAgentError(e: unknown): e is AgentError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

const GRPC: Record<AgentErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  INTERNAL: status.INTERNAL,
};

/** The agent's only error boundary: anything thrown becomes a status with a useful message. */
export function toServiceError(e: unknown): Partial<ServiceError> {
  if (isAgentError(e)) return { code: GRPC[e.code], details: e.message };
  const msg = e instanceof Error ? e.message : String(e);
  return { code: status.INTERNAL, details: `internal error: ${msg}` };
}
