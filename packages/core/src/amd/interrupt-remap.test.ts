// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { PhysMemory } from '../memory/phys-memory';
import { AmdIrqTable, encodeIrte32, INTCTL_ABORT } from './interrupt-remap';

describe('AMD-Vi interrupt remapping', () => {
  it('IRTE golden bits: RemapEn, destination 0x02 at 15:8, vector 0x61 at 23:16', () => {
    expect(encodeIrte32({ vector: 0x61, destination: 2 })).toBe(0x61_0201);
  });

  it('remaps by the MSI data index, blocks a disabled entry with an I-flag IO_PAGE_FAULT, aborts with IntCtl 0', () => {
    const mem = new PhysMemory();
    const t = new AmdIrqTable(mem, 0x0300);
    t.set(7, encodeIrte32({ vector: 0x61, destination: 2 }));
    expect(t.remap(7)).toEqual({ ok: true, vector: 0x61, destination: 2, logical: false });
    expect(t.remap(8)).toEqual({
      ok: false,
      reason: 'blocked',
      logLine: 'AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:03:00.0 domain=0x0000 address=0xfee00000 flags=0x0008]',
    });
    expect(new AmdIrqTable(mem, 1, 9, INTCTL_ABORT).remap(7)).toEqual({ ok: false, reason: 'aborted' });
  });
});
