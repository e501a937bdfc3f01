// SPDX-License-Identifier: Apache-2.0
// The one shape of iofleet's typed errors (STYLE.md item 9). A failure carries a
// stable `code` (what callers branch on, never the message's text), a message that says what and
// where, and structured `details`; each error class has a guard that recognises it, and its
// subclasses, also when it comes from another copy of its package (a plugin or an app may bundle
// its own), by a brand under Symbol.for rather than by instanceof. No dependencies. The device-
// plugin contract (@iofleet/sdk) keeps its own SdkError of the same shape: it depends on nothing.

/** Structured context of a failure: the offending address, range, limit... (values, never objects with cycles). */
export type ErrorDetails = Readonly<Record<string, string | number | boolean>>;

/** A typed error: extend it, give the subclass its `name` and a brand (`errorBrand`), and export its guard. */
export class TypedError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }
}

/**
 * The brand of an error class, by a key unique to it (e.g. '@iofleet/core/CoreError'): declare it
 * on the class as `readonly [brand.symbol] = true`, and export `brand.is` as the class's guard.
 */
export function errorBrand<E extends Error>(key: string): { readonly symbol: symbol; is(e: unknown): e is E } {
  const symbol = Symbol.for(key);
  return {
    symbol,
    is: (e: unknown): e is E => typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[symbol] === true,
  };
}
