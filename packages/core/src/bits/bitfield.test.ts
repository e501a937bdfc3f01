// SPDX-License-Identifier: Apache-2.0
// Contract tests for the bitfield helpers: fields written [hi, lo], bigint and 32-bit-halves paths.

import { describe, expect, it } from 'vitest';
import {
  compile,
  compileField,
  fieldMask,
  fieldWidth,
  getField,
  halvesToNumber,
  hi32,
  lo32,
  maskOf,
  pack,
  setField,
  toBigint64,
  unpack,
} from './bitfield';

/** An AMD-Vi-like PDE table, used only as sample data. */
const PDE = { PR: [0, 0], NL: [11, 9], ADDR: [51, 12], IR: [61, 61], IW: [62, 62] } as const;

describe('bigint field access', () => {
  it('derives width and mask from [hi, lo]', () => {
    expect(fieldWidth([11, 9])).toBe(3);
    expect(fieldMask([11, 9])).toBe(0xe00n);
    expect(fieldMask([63, 0])).toBe(0xffff_ffff_ffff_ffffn);
    expect(maskOf([PDE.PR, PDE.IR, PDE.IW])).toBe(0x6000_0000_0000_0001n);
  });

  it('gets and sets fields, leaving other bits alone', () => {
    const v = 0xffff_ffff_ffff_ffffn;
    expect(getField(v, PDE.NL)).toBe(7n);
    expect(setField(v, PDE.NL, 2)).toBe(0xffff_ffff_ffff_f5ffn);
    expect(getField(1n << 300n, [301, 299])).toBe(2n); // wide structures (PASID entries)
  });

  it('throws RangeError when a value does not fit its field', () => {
    expect(() => setField(0n, PDE.NL, 8)).toThrow(RangeError);
    expect(() => setField(0n, PDE.NL, -1)).toThrow(RangeError);
  });

  it('packs and unpacks a table; unknown names throw', () => {
    const v = pack(PDE, { PR: 1, NL: 2, ADDR: 0x1_0000_1n, IR: 1, IW: 1 });
    expect(v).toBe(0x6000_0001_0000_1401n);
    expect(unpack(PDE, v)).toEqual({ PR: 1n, NL: 2n, ADDR: 0x1_0000_1n, IR: 1n, IW: 1n });
    expect(pack(PDE, { PR: 1, NL: undefined })).toBe(1n);
    expect(() => pack(PDE, { XX: 1 } as never)).toThrow(/unknown field XX/);
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
