// SPDX-License-Identifier: Apache-2.0
// A plugin's options: typed reads with a clear error naming the option (optionNumber & co), and
// readOptions(), which reads them all from one description of them, the spec. The spec is the
// one list of the options the plugin knows (an option it does not name is rejected, as
// rejectUnknownOptions does), and each entry says the option's kind, default and bounds, so the
// parsed options' type follows from it. Checks that tie options together stay in the plugin's
// parseOptions, after readOptions.

import { SdkError } from './errors';

export type OptionValue = string | number | boolean;
export type RawOptions = Readonly<Record<string, OptionValue>>;

/** Option helpers for parseOptions: typed reads with a clear error naming the option. */
export function optionNumber(raw: RawOptions, key: string, def: number, min = -Infinity, max = Infinity): number {
  const v = raw[key];
  if (v === undefined) return def;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new SdkError('OPTION_INVALID', `option ${key}=${String(v)}: expected a number in [${min}, ${max}]`, { key });
  return n;
}

export function optionEnum<T extends string>(raw: RawOptions, key: string, values: readonly T[], def: T): T {
  const v = raw[key];
  if (v === undefined) return def;
  if (!values.includes(String(v) as T))
    throw new SdkError('OPTION_INVALID', `option ${key}=${String(v)}: expected one of ${values.join(', ')}`, { key });
  return String(v) as T;
}

/** A flag: 1/true or 0/false (a boolean as given in YAML or JSON too). */
export function optionFlag(raw: RawOptions, key: string, def: boolean): boolean {
  return ['1', 'true'].includes(optionEnum(raw, key, ['0', '1', 'false', 'true'], def ? 'true' : 'false'));
}

/** Sizes like 4k, 64KiB, 2m, 1500. */
export function optionBytes(raw: RawOptions, key: string, def: number, min = 1, max = 2 ** 40): number {
  const v = raw[key];
  if (v === undefined) return def;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(i?b)?$/i.exec(String(v).trim());
  const n = m
    ? Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g']
    : NaN;
  if (!Number.isFinite(n) || n < min || n > max || !Number.isInteger(n))
    throw new SdkError(
      'OPTION_INVALID',
      `option ${key}=${String(v)}: expected a size in bytes (e.g. 4k) in [${min}, ${max}]`,
      { key },
    );
  return n;
}

/** Rejects options the plugin does not know (typos should not pass silently). */
export function rejectUnknownOptions(plugin: string, raw: RawOptions, known: readonly string[]): void {
  for (const k of Object.keys(raw))
    if (!known.includes(k))
      throw new SdkError('OPTION_INVALID', `plugin ${plugin}: unknown option ${k} (known: ${known.join(', ')})`, {
        key: k,
      });
}

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
