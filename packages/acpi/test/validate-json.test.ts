// SPDX-License-Identifier: Apache-2.0
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeDmar,
  decodeIvrs,
  encodeDmar,
  encodeIvrs,
  fromJson,
  toJson,
  validateChecksum,
  validateDmar,
  validateIvrs,
} from '../src/index';

const REAL = join(__dirname, 'fixtures', 'real');
const files = readdirSync(REAL).filter((f) => f.endsWith('.dat'));
const read = (f: string) => new Uint8Array(readFileSync(join(REAL, f)));

describe('JSON form', () => {
  it.each(files)('%s survives JSON and back byte-identical, with 64-bit values as strings', (f) => {
    const bytes = read(f);
    const decoded = f.includes('DMAR')
      ? { table: 'DMAR' as const, dmar: decodeDmar(bytes) }
      : { table: 'IVRS' as const, ivrs: decodeIvrs(bytes) };
    const json = toJson(decoded);
    expect(json).not.toMatch(/"[A-Za-z]*(Address|efr)": \d/); // 64-bit fields are strings
    const back = fromJson(json);
    expect(back.table).toBe(decoded.table);
    const out =
      back.table === 'DMAR' ? encodeDmar(back.dmar) : back.table === 'IVRS' ? encodeIvrs(back.ivrs) : new Uint8Array();
    expect(Buffer.from(out).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe('validation', () => {
  it('finds no error in the real machines’ tables except what their firmware really gets wrong', () => {
    for (const f of files) {
      const bytes = read(f);
      const findings = [
        ...validateChecksum(bytes, f.includes('DMAR') ? 'DMAR' : 'IVRS'),
        ...(f.includes('DMAR') ? validateDmar(decodeDmar(bytes)) : validateIvrs(decodeIvrs(bytes))),
      ];
      expect(
        findings.filter((x) => x.severity === 'error' && x.code !== 'RMRR_BAD_RANGE'),
        f,
      ).toEqual([]);
    }
  });

  it('flags a bad checksum, a misordered INCLUDE_PCI_ALL, a backwards RMRR and an unclosed IVHD range', () => {
    const d = read('dell-poweredge-r820-E5985CCBA349.DMAR.dat');
    const bad = d.slice();
    bad[9] = (bad[9]! + 1) & 0xff;
    expect(validateChecksum(bad, 'DMAR')[0]!.code).toBe('CHECKSUM');
    const t = decodeDmar(d);
    const all = t.structures.findIndex((s) => s.type === 0 && Number(s.fields.Flags) & 1);
    const other = t.structures.findIndex((s) => s.type === 0 && !(Number(s.fields.Flags) & 1));
    [t.structures[all], t.structures[other]] = [t.structures[other]!, t.structures[all]!];
    const rmrr = t.structures.find((s) => s.type === 1)!;
    rmrr.fields.EndAddress = BigInt(rmrr.fields.BaseAddress!) - 1n;
    const codes = validateDmar(t).map((x) => x.code);
    expect(codes).toContain('INCLUDE_ALL_NOT_LAST');
    expect(codes).toContain('RMRR_BAD_RANGE');
    const iv = decodeIvrs(read('asustek-computer-rog-zenith-ii-extreme-alpha-BF6A37F4A7D0.IVRS.dat'));
    const ivhd = iv.blocks.find((b) => b.kind === 'IVHD');
    if (ivhd?.kind !== 'IVHD') throw new Error('no IVHD');
    const end = ivhd.entries.findIndex((e) => e.type === 0x04);
    ivhd.entries.splice(end, 1);
    expect(validateIvrs(iv).some((x) => x.code === 'RANGE_NOT_CLOSED')).toBe(true);
  });

  it('rejects malformed JSON input with a typed error', () => {
    expect(() =>
      fromJson(
        '{"table":"DMAR","dmar":{"structures":[{"type":0,"fields":{"RegisterBaseAddress":"nope"},"scopes":[]}]}}',
      ),
    ).toThrow(/RegisterBaseAddress/);
    expect(() => fromJson('[')).toThrow(/JSON/);
  });
});
