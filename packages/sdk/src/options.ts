// SPDX-License-Identifier: Apache-2.0
// readOptions(): a plugin's options read from one description of them, the spec. The spec is the
// one list of the options the plugin knows (an option it does not name is rejected, as
// rejectUnknownOptions does), and each entry says the option's kind, default and bounds, so the
// parsed options' type follows from it. Checks that tie options together stay in the plugin's
// parseOptions, after readOptions.

import { SdkError } from './errors';
import {
  type OptionValue,
  optionBytes,
  optionEnum,
  optionFlag,
  optionNumber,
  type RawOptions,
  rejectUnknownOptions,
} from './plugin';

interface Bounded {
  readonly min?: number;
  readonly max?: number;
  /** The value must be a whole multiple of this (e.g. a sector or a page). */
  readonly multipleOf?: number;
}

/** One option: its kind with its default (`number: 3` is a number defaulting to 3), and bounds. */
export type OptionSpec =
  | ({ readonly number: number } & Bounded)
  | ({ readonly integer: number } & Bounded)
  | ({ readonly bytes: number } & Bounded)
  | { readonly flag: boolean }
  | { readonly oneOf: readonly string[]; readonly default: string };

/** The parsed options of a spec: a number, a boolean, or one of the listed strings per option. */
export type OptionsOf<S extends Readonly<Record<string, OptionSpec>>> = {
  -readonly [K in keyof S]: S[K] extends { readonly oneOf: readonly (infer T)[] }
    ? T
    : S[K] extends { readonly flag: boolean }
      ? boolean
      : number;
};

/** The typed error of an option a plugin refuses: `option key=value: why`. */
export function optionInvalid(key: string, value: OptionValue, why: string): SdkError {
  return new SdkError('OPTION_INVALID', `option ${key}=${String(value)}: ${why}`, { key });
}

/** A whole number in [min, max]. */
export function optionInteger(raw: RawOptions, key: string, def: number, min = -Infinity, max = Infinity): number {
  const n = optionNumber(raw, key, def, min, max);
  if (!Number.isInteger(n)) throw optionInvalid(key, n, 'not an integer');
  return n;
}

function readOption(raw: RawOptions, key: string, s: OptionSpec): OptionValue {
  if ('flag' in s) return optionFlag(raw, key, s.flag);
  if ('oneOf' in s) return optionEnum(raw, key, s.oneOf, s.default);
  const n =
    'bytes' in s
      ? optionBytes(raw, key, s.bytes, s.min, s.max)
      : 'integer' in s
        ? optionInteger(raw, key, s.integer, s.min, s.max)
        : optionNumber(raw, key, s.number, s.min, s.max);
  if (s.multipleOf && n % s.multipleOf) throw optionInvalid(key, n, `not a multiple of ${s.multipleOf}`);
  return n;
}

/** Reads every option of `spec` from `raw`, refusing an option the spec does not name. */
export function readOptions<const S extends Readonly<Record<string, OptionSpec>>>(
  plugin: string,
  raw: RawOptions,
  spec: S,
): OptionsOf<S> {
  rejectUnknownOptions(plugin, raw, Object.keys(spec));
  const out: Record<string, OptionValue> = {};
  for (const [key, s] of Object.entries(spec)) out[key] = readOption(raw, key, s);
  return out as OptionsOf<S>;
}
