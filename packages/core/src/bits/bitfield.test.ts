// SPDX-License-Identifier: Apache-2.0
// Contract tests for the bitfield helpers: fields written [hi, lo], bigint and 32-bit-halves paths.

import { describe, expect, it } from 'vitest';
import {
  addressBits,
  bit,
  compile,
  compileField,
  type FieldTable,
  fieldHalves,
  fieldMask,
  fieldMasks,
  fieldWidth,
  getAddress,
  getBits,
  getField,
  getNumber,
  halvesToNumber,
  hi32,
  lo32,
  maskOf,
  pack,
  readField,
  setField,
  toBigint64,
  unnamedBits,
  unpack,
  wordField,
} from './bitfield';

/** An AMD-Vi-like PDE table, used only as sample data. */
const PDE = { PR: [0, 0], NL: [11, 9], ADDR: [51, 12], IR: [61, 61], IW: [62, 62] } as const satisfies FieldTable;

describe('bigint field access', () => {
  it('derives width and mask from [hi, lo]', () => {
    expect(fieldWidth([11, 9])).toBe(3);
    expect(fieldMask([11, 9])).toBe(0xe00n);
    expect(fieldMask([63, 0])).toBe(0xffff_ffff_ffff_ffffn);
    expect(maskOf([PDE.PR, PDE.IR, PDE.IW])).toBe(0x6000_0000_0000_0001n);
  });

  it('gets and sets fields, leaving other bits alone', () => {
    const v = 0xffff_ffff_ffff_ffffn;
    expect(getField(v, PDE, 'NL')).toBe(7n);
    expect(setField(v, PDE, 'NL', 2)).toBe(0xffff_ffff_ffff_f5ffn);
    expect(getBits(1n << 300n, [301, 299])).toBe(2n); // wide structures (PASID entries)
    expect(getNumber(0x8_0000_0000_1000n, PDE, 'ADDR')).toBe(0x80_0000_0001);
  });

  it('reads an address field shifted by its low bit within its 64-bit word', () => {
    const T = { PTR: [63, 12], HIGH_PTR: [191, 140], QPTR: [127, 66] } as const satisfies FieldTable;
    expect(getAddress(0x1234_5000n, T, 'PTR')).toBe(0x1234_5000);
    expect(getAddress(0xabc_d000n << 128n, T, 'HIGH_PTR')).toBe(0xabc_d000);
    expect(getAddress(0x40n << 64n, T, 'QPTR')).toBe(0x40);
  });

  it('packs byte addresses into address fields by the table alone, the inverse of getAddress', () => {
    const T = { P: [0, 0], PTR: [63, 12], LO: [95, 67], HI: [115, 96] } as const satisfies FieldTable;
    const v = pack(T, { P: 1 }, { PTR: 0xa_bcde_f000, LO: 0x12_3456_7898, HI: 0x12_3456_7898 });
    expect(getAddress(v, T, 'PTR')).toBe(0xa_bcde_f000);
    // A split address: bits 31:3 in LO, bits 51:32 in HI (AMD-Vi COMPLETION_WAIT's layout).
    expect(getAddress(v, T, 'LO') + getAddress(v, T, 'HI')).toBe(0x12_3456_7898);
    expect(getField(v, T, 'P')).toBe(1n);
    expect(addressBits([63, 12], 0x1fff)).toBe(1n); // the bits below the field are dropped
    expect(() => pack(T, {}, { PTRR: 1 } as never)).toThrow(/unknown field PTRR/);
  });

  it('throws RangeError when a value does not fit its field', () => {
    expect(() => setField(0n, PDE, 'NL', 8)).toThrow(RangeError);
    expect(() => setField(0n, PDE, 'NL', -1)).toThrow(RangeError);
  });

  it('packs and unpacks a table; unknown names throw', () => {
    const v = pack(PDE, { PR: 1, NL: 2, ADDR: 0x1_0000_1n, IR: 1, IW: 1 });
    expect(v).toBe(0x6000_0001_0000_1401n);
    expect(unpack(PDE, v)).toEqual({ PR: 1n, NL: 2n, ADDR: 0x1_0000_1n, IR: 1n, IW: 1n });
    expect(pack(PDE, { PR: 1, NL: undefined })).toBe(1n);
    expect(() => pack(PDE, { XX: 1 } as never)).toThrow(/unknown field XX/);
  });
});

describe('typed tables: a misspelt field name does not compile', () => {
  // These lines are checked by `nx typecheck` (tsconfig.spec.json): each @ts-expect-error fails the
  // typecheck if the line under it compiles, i.e. if the tables lost their literal keys. At run
  // time the misspelt names still throw or read nothing, which the expectations pin.
  it('rejects unknown names in getField, setField, pack, wordField and property access', () => {
    // @ts-expect-error 'Nl' is not a field of PDE
    expect(() => getField(0n, PDE, 'Nl')).toThrow(TypeError);
    // @ts-expect-error 'ADR' is not a field of PDE
    expect(() => setField(0n, PDE, 'ADR', 1)).toThrow(TypeError);
    // @ts-expect-error 'IWW' is not a field of PDE
    expect(() => pack(PDE, { PR: 1, IWW: 1 })).toThrow(/unknown field IWW/);
    // @ts-expect-error 'Pr' is not a field of PDE
    expect(() => wordField(PDE, 'Pr')).toThrow(TypeError);
    // @ts-expect-error 'ir' is not a field of PDE
    expect(PDE.ir).toBeUndefined();
  });

  it('satisfies FieldTable: a field that is not [hi, lo] does not compile', () => {
    // @ts-expect-error a field must be a [hi, lo] pair
    const bad = { P: [0] } as const satisfies FieldTable;
    expect(bad.P).toHaveLength(1);
  });
});

describe('hot-path constants derived from a table', () => {
  it('wordField gives word, shift and mask of a named field', () => {
    expect(wordField(PDE, 'NL')).toEqual({ word: 0, shift: 9, mask: 7 });
    expect(wordField(PDE, 'IW')).toEqual({ word: 1, shift: 30, mask: 1 });
    expect(() => wordField(PDE, 'ADDR')).toThrow(/straddles/);
  });

  it('readField reads a compiled field from the words of a structure at any offset', () => {
    const words = new Uint32Array([0xdead, 0x0000_0e01, 0x4000_0000, 0]); // the PDE at words[1..2]
    expect(readField(words, 1, wordField(PDE, 'NL'))).toBe(7);
    expect(readField(words, 1, wordField(PDE, 'PR'))).toBe(1);
    expect(readField(words, 1, wordField(PDE, 'IW'))).toBe(1);
    expect(readField(words, 1, wordField(PDE, 'IR'))).toBe(0);
    expect(readField(new Uint32Array([0xffff_ffff]), 0, compileField([31, 0]))).toBe(0xffff_ffff);
  });

  it('bit gives a one-bit field within its word, and refuses a wider field', () => {
    expect(bit(PDE, 'PR')).toBe(1);
    expect(bit(PDE, 'IW')).toBe(0x4000_0000);
    expect(() => bit(PDE, 'NL')).toThrow(/not one bit/);
  });

  it('fieldHalves and fieldMasks give the masks of named fields', () => {
    expect(fieldHalves(PDE, 'ADDR')).toEqual({ lo: 0xffff_f000, hi: 0xf_ffff });
    expect(fieldHalves(PDE, 'PR', 'IR')).toEqual({ lo: 1, hi: 0x2000_0000 });
    expect(fieldMasks(PDE, 'PR', 'IW')).toBe(0x4000_0000_0000_0001n);
  });
});

describe('32-bit halves', () => {
  it('compiles fields to word, shift and unsigned mask', () => {
    expect(compileField([11, 9])).toEqual({ word: 0, shift: 9, mask: 7 });
    expect(compileField([62, 61])).toEqual({ word: 1, shift: 29, mask: 3 });
    expect(compileField([31, 0])).toEqual({ word: 0, shift: 0, mask: 0xffff_ffff });
    expect(compileField([95, 64])).toEqual({ word: 2, shift: 0, mask: 0xffff_ffff });
    expect(() => compileField([51, 12])).toThrow(/straddles/);
  });

  it('compile() keeps the fields that fit one word and drops straddling ones', () => {
    const c = compile(PDE);
    expect(Object.keys(c).sort()).toEqual(['IR', 'IW', 'NL', 'PR']);
    const hi = 0x4000_0000;
    expect((hi >>> c.IW.shift) & c.IW.mask).toBe(1);
  });

  it('converts between halves, bigint and number without sign trouble', () => {
    expect(toBigint64(-1, 0)).toBe(0xffff_ffffn);
    expect(toBigint64(0x8000_0000, 0x8000_0000)).toBe(0x8000_0000_8000_0000n);
    expect([lo32(0x1234_5678_9abc_def0n), hi32(0x1234_5678_9abc_def0n)]).toEqual([0x9abc_def0, 0x1234_5678]);
    expect(halvesToNumber(0xffff_ffff | 0, 0x1f_ffff)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('unnamedBits', () => {
  it('is every bit of the entry no field names', () => {
    const T = { P: [0, 0], TT: [3, 2], ADDR: [63, 12], DID: [87, 72] } as const satisfies FieldTable;
    expect(unnamedBits(T, 128)).toBe(
      maskOf([
        [1, 1],
        [11, 4],
        [71, 64],
        [127, 88],
      ]),
    );
    expect(unnamedBits({ ALL: [31, 0] } as const satisfies FieldTable, 32)).toBe(0n);
  });
});
