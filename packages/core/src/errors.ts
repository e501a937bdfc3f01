// SPDX-License-Identifier: Apache-2.0
// Typed errors of @iofleet/core (STYLE.md item 9). Simulated *hardware* faults are values, not
// exceptions (item 8); these errors are for misuse of the model: bad parameters, exhausted bounds.

import { type ErrorDetails, errorBrand, TypedError } from '@iofleet/errors';

export type CoreErrorCode =
  | 'INVALID_ARGUMENT'
  | 'OUT_OF_RANGE'
  | 'LIMIT_EXCEEDED'
  | 'ALREADY_MAPPED'
  | 'NOT_MAPPED'
  | 'UNSUPPORTED'
  | 'INVALID_STATE';

export type { ErrorDetails };

const CORE_ERROR = errorBrand<CoreError>('@iofleet/core/CoreError');

/** Misuse of the model; `details`: the offending address, range, limit... */
export class CoreError extends TypedError<CoreErrorCode> {
  readonly [CORE_ERROR.symbol] = true;
  override readonly name: string = 'CoreError';
}

/** Works across duplicate copies of this package (brand via Symbol.for). */
export const isCoreError = CORE_ERROR.is;
