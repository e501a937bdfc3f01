// SPDX-License-Identifier: Apache-2.0
// Bitfields are data (STYLE.md item 4): one table per register or entry, each field written
// [hi, lo] as the specification prints it, reserved masks included. Shifts and masks are derived
// here and nowhere else.
//
// Two access paths over the same table:
//  - bigint, for low-volume structures (registers, descriptors, CLI/JSON): getField / setField.
//  - 32-bit halves, for the hot path (page-table walks): compile() gives per-field word index,
//    shift and mask so a walker reads `(word >>> shift) & mask` without allocating.

/** A field as the spec prints it: [hi, lo], bit numbers counted from bit 0 of the structure. */
export type FieldSpec = readonly [hi: number, lo: number];
export type FieldTable = Readonly<Record<string, FieldSpec>>;

export function fieldWidth([hi, lo]: FieldSpec): number {
  return hi - lo + 1;
}

export function fieldMask(spec: FieldSpec): bigint {
  return ((1n << BigInt(fieldWidth(spec))) - 1n) << BigInt(spec[1]);
}

/** Reads a field from a structure given as one bigint (up to 512 bits: PASID entries). */
export function getField(value: bigint, spec: FieldSpec): bigint {
  return (value >> BigInt(spec[1])) & ((1n << BigInt(fieldWidth(spec))) - 1n);
}

/** Returns `value` with `field` replaced; throws RangeError when the field value does not fit. */
export function setField(value: bigint, spec: FieldSpec, field: bigint | number): bigint {
  const f = BigInt(field);
  const width = BigInt(fieldWidth(spec));
  if (f < 0n || f >> width !== 0n) {
    throw new RangeError(`value 0x${f.toString(16)} does not fit field [${spec[0]}:${spec[1]}]`);
  }
  return (value & ~fieldMask(spec)) | (f << BigInt(spec[1]));
}

/** Packs several fields into one value: pack(TABLE, { P: 1, DID: 5 }). Unknown names throw. */
export function pack<T extends FieldTable>(
  table: T,
  fields: Partial<Record<keyof T & string, bigint | number>>,
): bigint {
  let v = 0n;
  for (const [name, f] of Object.entries(fields)) {
    const spec = table[name];
    if (!spec) throw new RangeError(`unknown field ${name}`);
    if (f === undefined) continue;
    v = setField(v, spec, f as bigint | number);
  }
  return v;
}

/** Unpacks every field of a table. */
export function unpack<T extends FieldTable>(table: T, value: bigint): Record<keyof T & string, bigint> {
  const out = {} as Record<string, bigint>;
  for (const [name, spec] of Object.entries(table)) out[name] = getField(value, spec);
  return out as Record<keyof T & string, bigint>;
}

/** Mask of all bits covered by the listed fields (e.g. the reserved fields of an entry). */
export function maskOf(specs: readonly FieldSpec[]): bigint {
  let m = 0n;
  for (const s of specs) m |= fieldMask(s);
  return m;
}

/** A field compiled for the 32-bit-halves hot path. Only fields that do not straddle a 32-bit word. */
export interface CompiledField {
  /** Index of the 32-bit word (0 = bits 31:0, 1 = bits 63:32, ...). */
  readonly word: number;
  readonly shift: number;
  /** Unshifted mask, as an unsigned 32-bit number. */
  readonly mask: number;
}

export function compileField(spec: FieldSpec): CompiledField {
  const [hi, lo] = spec;
  const word = lo >>> 5;
  if (hi >>> 5 !== word) throw new RangeError(`field [${hi}:${lo}] straddles a 32-bit word; read it as bigint`);
  const width = hi - lo + 1;
  return { word, shift: lo & 31, mask: width === 32 ? 0xffffffff : ((1 << width) - 1) >>> 0 };
}

export function compile<T extends FieldTable>(table: T): { readonly [K in keyof T]: CompiledField } {
  const out = {} as Record<string, CompiledField>;
  for (const [name, spec] of Object.entries(table)) {
    if (spec[0] >>> 5 === spec[1] >>> 5) out[name] = compileField(spec);
  }
  return out as { [K in keyof T]: CompiledField };
}

/** 64-bit helpers over two 32-bit halves (little-endian: lo = bits 31:0, hi = bits 63:32). */
export function toBigint64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
export function lo32(v: bigint): number {
  return Number(v & 0xffffffffn);
}
export function hi32(v: bigint): number {
  return Number((v >> 32n) & 0xffffffffn);
}
/** Number (< 2^53) from halves. */
export function halvesToNumber(lo: number, hi: number): number {
  return (hi >>> 0) * 0x1_0000_0000 + (lo >>> 0);
}
