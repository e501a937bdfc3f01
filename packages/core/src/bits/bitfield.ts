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
/**
 * A register or entry layout. Declare tables `{ ... } as const satisfies FieldTable`: the table
 * keeps its literal keys, so a misspelt field name (`getField(v, STE, 'Cofnig')`, `STE.Cofnig`,
 * `pack(STE, { Cofnig: 1 })`) fails to compile, while `satisfies` still checks every field is [hi, lo].
 */
export type FieldTable = Readonly<Record<string, FieldSpec>>;
/** The field names of a table. */
export type FieldName<T extends FieldTable> = keyof T & string;

export function fieldWidth([hi, lo]: FieldSpec): number {
  return hi - lo + 1;
}

export function fieldMask(spec: FieldSpec): bigint {
  return ((1n << BigInt(fieldWidth(spec))) - 1n) << BigInt(spec[1]);
}

/** Reads the bits of `spec` from a structure given as one bigint (up to 512 bits: PASID entries). */
export function getBits(value: bigint, spec: FieldSpec): bigint {
  return (value >> BigInt(spec[1])) & ((1n << BigInt(fieldWidth(spec))) - 1n);
}

/** Reads field `name` of `table` from a structure given as one bigint. */
export function getField<T extends FieldTable>(value: bigint, table: T, name: FieldName<T>): bigint {
  return getBits(value, table[name] as FieldSpec);
}

/** getField() as a number (fields up to 53 bits wide). */
export function getNumber<T extends FieldTable>(value: bigint, table: T, name: FieldName<T>): number {
  return Number(getBits(value, table[name] as FieldSpec));
}

/**
 * An address field as a byte address. The specs store address bits [hi % 64 : lo % 64] in the field
 * (VT-d SLPTPTR [63:12] holds a 4 KiB-aligned table address, FLPTPTR [191:140] of a PASID entry
 * too; SMMU L2Ptr [51:6] a 64-byte-aligned one; VT-d STATUS_ADDR [127:66] a 4-byte-aligned one),
 * so the field shifts left by its low bit within its 64-bit word: the alignment comes from the
 * table, not from a shift written at the call. Exact for addresses < 2^53.
 */
export function getAddress<T extends FieldTable>(value: bigint, table: T, name: FieldName<T>): number {
  const spec = table[name] as FieldSpec;
  return Number(getBits(value, spec) << BigInt(spec[1] & 63));
}

/** Returns `value` with the bits of `spec` replaced; throws RangeError when the value does not fit. */
export function setBits(value: bigint, spec: FieldSpec, field: bigint | number): bigint {
  const f = BigInt(field);
  const width = BigInt(fieldWidth(spec));
  if (f < 0n || f >> width !== 0n) {
    throw new RangeError(`value 0x${f.toString(16)} does not fit field [${spec[0]}:${spec[1]}]`);
  }
  return (value & ~fieldMask(spec)) | (f << BigInt(spec[1]));
}

/** Returns `value` with field `name` of `table` replaced; throws RangeError when `field` does not fit. */
export function setField<T extends FieldTable>(
  value: bigint,
  table: T,
  name: FieldName<T>,
  field: bigint | number,
): bigint {
  return setBits(value, table[name] as FieldSpec, field);
}

/**
 * The field value that holds byte address `address` in `spec`: the address's bits
 * [hi % 64 : lo % 64], the inverse of getAddress(). Bits below the field (alignment) and above it
 * (a split address's other part, e.g. AMD-Vi COMPLETION_WAIT's ADDR_LO [31:3] / ADDR_HI [51:32])
 * are dropped, as the hardware ignores them.
 */
export function addressBits(spec: FieldSpec, address: number): bigint {
  return (BigInt(address) >> BigInt(spec[1] & 63)) & ((1n << BigInt(fieldWidth(spec))) - 1n);
}

/**
 * Packs several fields into one value: pack(TABLE, { P: 1, DID: 5 }). Address fields may be given
 * as byte addresses in `addresses` (pack(CONTEXT_ENTRY, { P: 1 }, { SLPTPTR: tablePa })): each is
 * placed with addressBits(), so the alignment is the table's, not a shift written at the call.
 * Unknown names throw.
 */
export function pack<T extends FieldTable>(
  table: T,
  fields: Partial<Record<FieldName<T>, bigint | number>>,
  addresses: Partial<Record<FieldName<T>, number>> = {},
): bigint {
  let v = 0n;
  for (const [name, f] of Object.entries(fields)) {
    const spec = table[name];
    if (!spec) throw new RangeError(`unknown field ${name}`);
    if (f === undefined) continue;
    v = setBits(v, spec, f as bigint | number);
  }
  for (const [name, a] of Object.entries(addresses)) {
    const spec = table[name];
    if (!spec) throw new RangeError(`unknown field ${name}`);
    if (a === undefined) continue;
    v = setBits(v, spec, addressBits(spec, a as number));
  }
  return v;
}

/** Unpacks every field of a table. */
export function unpack<T extends FieldTable>(table: T, value: bigint): Record<keyof T & string, bigint> {
  const out = {} as Record<string, bigint>;
  for (const [name, spec] of Object.entries(table)) out[name] = getBits(value, spec);
  return out as Record<keyof T & string, bigint>;
}

/** Mask of all bits covered by the listed fields (e.g. the reserved fields of an entry). */
export function maskOf(specs: readonly FieldSpec[]): bigint {
  let m = 0n;
  for (const s of specs) m |= fieldMask(s);
  return m;
}

/**
 * The bits of a `widthBits`-wide entry that no field of `table` names: the reserved mask of an entry
 * whose spec reserves every bit it does not define (VT-d root, context and IRTE entries), so the
 * reserved ranges are not written a second time. Not for entries with ignored or available bits
 * the table leaves out (AMD-Vi's DTE: write its reserved ranges with maskOf()).
 */
export function unnamedBits(table: FieldTable, widthBits: number): bigint {
  let named = 0n;
  for (const spec of Object.values(table)) named |= fieldMask(spec);
  return ((1n << BigInt(widthBits)) - 1n) & ~named;
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

/** A compiled field of a structure whose 32-bit words start at `words[base]` (no allocation). */
export function readField(words: ArrayLike<number>, base: number, f: CompiledField): number {
  return field32(words[base + f.word]!, f);
}
/** A compiled field of a word-0 field read from one 32-bit value (an MSI address or data word). */
export function field32(word: number, f: CompiledField): number {
  return ((word >>> f.shift) & f.mask) >>> 0;
}

/**
 * Field `name` of `table` compiled for the hot path: its 32-bit word, shift and unshifted mask.
 * Call it at module load and keep the parts in module-scope constants (`const NL = wordField(T,
 * 'NextLevel'); const NL_SHIFT = NL.shift;`): a walker then reads `(word >>> NL_SHIFT) & 7` with
 * the bit positions written once, in the table, and V8 folds the constants as if written by hand.
 */
export function wordField<T extends FieldTable>(table: T, name: FieldName<T>): CompiledField {
  return compileField(table[name] as FieldSpec);
}

/**
 * The mask of one-bit field `name` within its 32-bit word (PS [7:7] gives 0x80, IW [62:62]
 * 0x4000_0000), as an int32 like `1 << n` (bit 31 reads negative; `&` and `|` do not mind).
 */
export function bit<T extends FieldTable>(table: T, name: FieldName<T>): number {
  const spec = table[name] as FieldSpec;
  if (spec[0] !== spec[1]) throw new RangeError(`field ${name} [${spec[0]}:${spec[1]}] is not one bit`);
  return 1 << (spec[1] & 31);
}

/**
 * `bit()` of several one-bit fields at once, for a module's decoder constants:
 * `const { P, RW, PS } = bits(IA32E_PTE, 'P', 'RW', 'PS');` (a misspelt name fails to compile).
 */
export function bits<T extends FieldTable, K extends FieldName<T>>(table: T, ...names: K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const name of names) out[name] = bit(table, name);
  return out;
}

/** The two 32-bit masks (bits 31:0, bits 63:32) of a set of fields of a 64-bit entry. */
export interface MaskHalves {
  readonly lo: number;
  readonly hi: number;
}
export function maskHalves(specs: readonly FieldSpec[]): MaskHalves {
  const m = maskOf(specs);
  return { lo: lo32(m), hi: hi32(m) };
}
/** maskHalves() of fields of `table` named once: fieldHalves(T, 'ADDR'), fieldHalves(T, 'RSVD_6_2', 'TM'). */
export function fieldHalves<T extends FieldTable>(table: T, ...names: FieldName<T>[]): MaskHalves {
  return maskHalves(names.map((n) => table[n] as FieldSpec));
}
/** The mask of fields of `table` as one bigint: fieldMasks(T, 'RSVD_7_1', 'RSVD_127_64'). */
export function fieldMasks<T extends FieldTable>(table: T, ...names: FieldName<T>[]): bigint {
  return maskOf(names.map((n) => table[n] as FieldSpec));
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
