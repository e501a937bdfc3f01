// SPDX-License-Identifier: Apache-2.0
// Typed errors of @iofleet/core (STYLE.md item 9). Simulated *hardware* faults are values, not
// exceptions (item 8); these errors are for misuse of the model: bad parameters, exhausted bounds.

const CORE_ERROR_BRAND = Symbol.for('@iofleet/core/CoreError');

export type CoreErrorCode =
  | 'INVALID_ARGUMENT'
  | 'OUT_OF_RANGE'
  | 'LIMIT_EXCEEDED'
  | 'ALREADY_MAPPED'
  | 'NOT_MAPPED'
  | 'UNSUPPORTED'
  | 'INVALID_STATE';

export class CoreError extends Error {
  readonly [CORE_ERROR_BRAND] = true;
  override readonly name: string = 'CoreError';
  constructor(
    readonly code: CoreErrorCode,
    message: string,
    /** Structured context: the offending address, range, limit... (values, never objects with cycles). */
    readonly details: Readonly<Record<string, string | number | boolean>> = {},
  ) {
    super(message);
  }
}

/** Works across duplicate copies of this package (brand via Symbol.for). */
export function isCoreError(e: unknown): e is CoreError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[CORE_ERROR_BRAND] === true;
}
