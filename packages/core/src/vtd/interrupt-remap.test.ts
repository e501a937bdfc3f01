// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { PhysMemory } from '../memory/phys-memory';
import { encodeIrte, InterruptRemapTable, remappableMsiAddress } from './interrupt-remap';

describe('VT-d interrupt remapping', () => {
  it('IRTE golden bits: P, vector 0x41 at 23:16, destination 0x3 at 63:32, SID 0x0100 at 79:64, SVT=1 at 83:82', () => {
    expect(encodeIrte({ vector: 0x41, destination: 3, sid: 0x0100 })).toBe(
      (0x4_0100n << 64n) | (3n << 32n) | 0x41_0001n,
    );
    // Handle 5 in remappable format: 0xFEE00000 | 5 << 5 | format bit 4 -> 0xfee000b0.
    expect(remappableMsiAddress(5)).toBe(0xfee0_00b0);
    // Handle 0x8005 with SHV: handle[15] in bit 2, SHV bit 3 -> 0xfee000bc.
    expect(remappableMsiAddress(0x8005, true)).toBe(0xfee0_00bc);
  });

  it('adds the data subhandle to the handle when SHV is set (§5.1.2.1)', () => {
    const t = new InterruptRemapTable(new PhysMemory());
    t.set(5, encodeIrte({ vector: 0x42, destination: 1, sid: 0x0100 }));
    const r = t.remap({ address: remappableMsiAddress(3, true), data: 2, sourceId: 0x0100 });
    expect(r).toMatchObject({ ok: true, irq: { vector: 0x42, destination: 1 } });
    // Without SHV the data is ignored: handle 3 is not present.
    expect(t.remap({ address: remappableMsiAddress(3), data: 2, sourceId: 0x0100 })).toMatchObject({ reason: 0x22 });
  });

  it('delivers what the IRTE says and faults with the spec codes and the Linux line', () => {
    const t = new InterruptRemapTable(new PhysMemory());
    t.set(5, encodeIrte({ vector: 0x41, destination: 3, sid: 0x0100, level: true }));
    expect(t.remap({ address: remappableMsiAddress(5), data: 0, sourceId: 0x0100 })).toEqual({
      ok: true,
      irq: { vector: 0x41, destination: 3, destinationMode: 'physical', deliveryMode: 0, triggerMode: 'level' },
    });
    const spoof = t.remap({ address: remappableMsiAddress(5), data: 0, sourceId: 0x0200 });
    expect(spoof).toMatchObject({ ok: false, reason: 0x26 });
    const absent = t.remap({ address: remappableMsiAddress(6), data: 0, sourceId: 0x0100 });
    expect(absent.ok === false && absent.logLine).toBe(
      'DMAR: [INTR-REMAP] Request device [01:00.0] fault index 0x6 [fault reason 0x22] Present field in the IRTE entry is clear',
    );
    expect(t.remap({ address: remappableMsiAddress(4000), data: 0, sourceId: 0x0100 })).toMatchObject({
      ok: false,
      reason: 0x21,
    });
    expect(t.remap({ address: 0xfee0_1000, data: 0x30, sourceId: 0x0100 })).toMatchObject({ ok: false, reason: 0x25 });
  });
});
