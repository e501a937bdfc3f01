// SPDX-License-Identifier: Apache-2.0
// Typed agent errors and their one translation to gRPC status codes (STYLE.md item 9): an
// AgentError is a StatusError of @iofleet/proto, so the agent and the scheduler map failures to a
// status the same way, by the code thrown where the failure arises, never by the message.

import { isStatusError, StatusError, type StatusName, toServiceError } from '@iofleet/proto';

export type AgentErrorCode = Extract<
  StatusName,
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'FAILED_PRECONDITION'
  | 'ALREADY_EXISTS'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL'
>;

export class AgentError extends StatusError {
  override readonly name = 'AgentError';
  constructor(
    override readonly code: AgentErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

export function isAgentError(e: unknown): e is AgentError {
  return isStatusError(e) && e.name === 'AgentError';
}

/** The agent's only error boundary: anything thrown becomes a status with a useful message. */
export { toServiceError };
