// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAcpidump, parseAcpidump, pickTable } from './acpidump';
import { isAcpiDecodeError } from './errors';

const REAL = join(__dirname, '..', 'test', 'fixtures', 'real');
const dmar = new Uint8Array(readFileSync(join(REAL, 'dell-precision-workstation-t7500-428B8D25DDA9.DMAR.dat')));
const ivrs = new Uint8Array(readFileSync(join(REAL, 'supermicro-h8dgu-57ED146F2C3C.IVRS.dat')));
const iort = new Uint8Array(
  readFileSync(join(__dirname, '..', 'test', 'fixtures', 'qemu-generated-7.2.22', 'virt-smmuv3.IORT.dat')),
);

describe('acpidump text', () => {
  it('picks DMAR and IVRS out of a multi-table dump', () => {
    const facp = new Uint8Array(64).fill(0x41);
    const text = `${formatAcpidump('FACP', facp)}\n${formatAcpidump('DMAR', dmar, 0xfd2d3)}\n${formatAcpidump('IVRS', ivrs)}`;
    const tables = parseAcpidump(text);
    expect([...tables.keys()]).toEqual(['FACP', 'DMAR', 'IVRS']);
    expect(Buffer.from(pickTable(Buffer.from(text), 'DMAR').bytes).equals(Buffer.from(dmar))).toBe(true);
    expect(Buffer.from(pickTable(Buffer.from(text), 'IVRS').bytes).equals(Buffer.from(ivrs))).toBe(true);
  });

  it('picks the IORT out of an Arm dump, and a raw IORT, without being told', () => {
    const text = `${formatAcpidump('APIC', new Uint8Array(44))}${formatAcpidump('IORT', iort)}`;
    const picked = pickTable(Buffer.from(text));
    expect(picked.signature).toBe('IORT');
    expect(Buffer.from(picked.bytes).equals(Buffer.from(iort))).toBe(true);
    expect(pickTable(iort).signature).toBe('IORT');
    expect(() => pickTable(iort, 'DMAR')).toThrow(/expected DMAR/);
  });

  it('reads a hand-written dump with lowercase hex and the ASCII column', () => {
    const text = 'DMAR @ 0x0\n    0000: 44 4d 41 52 30 00 00 00  DMAR0...\n    0008: 01 02  ..\n';
    expect([...parseAcpidump(text).get('DMAR')![0]!]).toEqual([0x44, 0x4d, 0x41, 0x52, 0x30, 0, 0, 0, 1, 2]);
  });

  it('accepts raw binaries and rejects other input with a typed error', () => {
    expect(pickTable(dmar).signature).toBe('DMAR');
    let err: unknown;
    try {
      pickTable(Buffer.from('hello'));
    } catch (e) {
      err = e;
    }
    expect(isAcpiDecodeError(err)).toBe(true);
  });
});
