// SPDX-License-Identifier: Apache-2.0
// Numeric command-line options (and the environment variables that stand in for them), checked the
// same way by every iofleet process: the CLI's commands, the host agent and the scheduler. A value
// out of range is an OptionError that names the option, the range and the value given, e.g.
// "--hosts must be an integer from 1 to 4,096, got '0'"; the CLI exits 2 on it (a usage error).

import { errorBrand, TypedError } from './typed-error';

const OPTION_ERROR = errorBrand<OptionError>('@iofleet/errors/OptionError');

/** A command-line option, or the environment variable standing in for it, with a value it cannot take. */
export class OptionError extends TypedError<'BAD_OPTION'> {
  readonly [OPTION_ERROR.symbol] = true;
  override readonly name: string = 'OptionError';
  constructor(
    readonly option: string,
    readonly value: string,
    expected: string,
    /** The environment variable the value came from, when it did not come from the flag. */
    readonly env?: string,
  ) {
    super('BAD_OPTION', `${env ? `${env} (for --${option})` : `--${option}`} must be ${expected}, got '${value}'`, {
      option,
      value,
      ...(env && { env }),
    });
  }
}

/** Works across duplicate copies of this package (brand via Symbol.for). */
export const isOptionError = OPTION_ERROR.is;

export interface NumberRange {
  /** The smallest value allowed (the bound itself excluded with `above`). */
  min: number;
  /** The largest value allowed; none: no bound above. */
  max?: number;
  /** Whole numbers only (default true). */
  integer?: boolean;
  /** `min` itself is not allowed: (min, max]. */
  above?: boolean;
  /** The unit the message names after the range (e.g. 'ms'). */
  unit?: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');

function expected(r: NumberRange): string {
  const unit = r.unit ? ` ${r.unit}` : '';
  const max = r.max ?? Number.POSITIVE_INFINITY;
  if (r.integer ?? true) {
    const min = r.above ? Math.floor(r.min) + 1 : Math.ceil(r.min);
    if (max === Number.POSITIVE_INFINITY)
      return min === 1 ? `a positive integer${unit}` : `an integer >= ${fmt(min)}${unit}`;
    return `an integer from ${fmt(min)} to ${fmt(max)}${unit}`;
  }
  if (max === Number.POSITIVE_INFINITY)
    return r.above ? `a number above ${fmt(r.min)}${unit}` : `a number >= ${fmt(r.min)}${unit}`;
  return r.above
    ? `a number above ${fmt(r.min)} and at most ${fmt(max)}${unit}`
    : `a number from ${fmt(r.min)} to ${fmt(max)}${unit}`;
}

/**
 * `raw` as a number in `r`, or an OptionError naming `--name`. Undefined or empty (an option not
 * given, an environment variable not set) is `fallback` when there is one, and an error otherwise.
 */
export function numberOption(name: string, raw: string | undefined, r: NumberRange, fallback?: number): number {
  const blank = raw === undefined || raw.trim() === '';
  if (blank && fallback !== undefined) return fallback;
  const n = blank ? Number.NaN : Number(raw);
  if (!inRange(n, r)) throw new OptionError(name, raw ?? '', expected(r));
  return n;
}

/** Whether `n` is in `r` (a whole number too, unless `r.integer` is false). */
export function inRange(n: number, r: NumberRange): boolean {
  const whole = r.integer ?? true;
  return (
    (whole ? Number.isSafeInteger(n) : Number.isFinite(n)) &&
    (r.above ? n > r.min : n >= r.min) &&
    n <= (r.max ?? Number.POSITIVE_INFINITY)
  );
}

/**
 * numberOption() for a flag an environment variable stands in for (the host agent's and the
 * scheduler's): the flag's value when given, else the variable's, else `fallback`. A bad value
 * from the variable is named by it: "IOFLEET_LOCK_MS (for --lock-ms) must be ...".
 */
export function flagOrEnvNumber(
  name: string,
  flagValue: string | undefined,
  envName: string,
  r: NumberRange,
  fallback: number,
  env: Readonly<Record<string, string | undefined>> = process.env,
): number {
  if (flagValue !== undefined) return numberOption(name, flagValue, r);
  try {
    return numberOption(name, env[envName], r, fallback);
  } catch (e) {
    if (isOptionError(e)) throw new OptionError(name, e.value, expected(r), envName);
    throw e;
  }
}

/** numberOption() as a parser for one option (commander's `.option(flags, text, parser)`). */
export function numberParser(name: string, r: NumberRange): (raw: string) => number {
  return (raw) => numberOption(name, raw, r);
}
