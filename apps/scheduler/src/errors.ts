// SPDX-License-Identifier: Apache-2.0
// The scheduler's typed errors (STYLE.md item 9): each failure a client can cause is thrown where
// it arises as a StatusError of @iofleet/proto naming its gRPC status; service.ts maps them with
// the same toServiceError as the host agent, never by the message's text.

import { StatusError } from '@iofleet/proto';

/** A malformed request (a missing or invalid field, named in the message): INVALID_ARGUMENT. */
export class RequestError extends StatusError {
  override readonly name = 'RequestError';
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** A VM the scheduler has no record of: NOT_FOUND. */
export class VmNotFoundError extends StatusError {
  override readonly name = 'VmNotFoundError';
  constructor(readonly vmId: string) {
    super('NOT_FOUND', `VM ${vmId} not found`);
  }
}

/** A VM id already submitted by another request id (a retry of the same request is not an error): ALREADY_EXISTS. */
export class AlreadySubmittedError extends StatusError {
  override readonly name = 'AlreadySubmittedError';
  constructor(
    readonly vmId: string,
    readonly byRequestId: string,
  ) {
    super('ALREADY_EXISTS', `VM ${vmId} was already submitted by request ${byRequestId}`);
  }
}
