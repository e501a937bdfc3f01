// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { buildDmar, buildIvrs } from './build';
import { decodeDmar } from './dmar/dmar';
import { byteSum } from './header';
import { decodeIvrs } from './ivrs/ivrs';
import { validateDmar, validateIvrs } from './validate';

describe('building tables', () => {
  it('builds a DMAR with INCLUDE_PCI_ALL last in its segment, a valid checksum and no findings', () => {
    const bytes = buildDmar({
      hostAddressWidth: 48,
      interruptRemapping: true,
      units: [
        {
          segment: 0,
          base: 0xfed91000n,
          includeAll: true,
          scopes: [{ type: 3, startBus: 0xf0, path: [{ device: 0x1f, function: 0 }], enumerationId: 2 }],
        },
        { segment: 0, base: 0xfed90000n, scopes: [{ type: 1, startBus: 0, path: [{ device: 2, function: 0 }] }] },
      ],
      rmrrs: [
        {
          segment: 0,
          base: 0x7b00_0000n,
          end: 0x7f7f_ffffn,
          scopes: [{ type: 1, startBus: 0, path: [{ device: 2, function: 0 }] }],
        },
      ],
    });
    expect(byteSum(bytes)).toBe(0);
    const t = decodeDmar(bytes);
    expect(t.hostAddressWidth).toBe(47);
    expect(t.structures.map((s) => [s.name, s.fields.Flags ?? '-'])).toEqual([
      ['DRHD', 0],
      ['DRHD', 1],
      ['RMRR', '-'],
    ]);
    expect(validateDmar(t)).toEqual([]);
  });

  it('builds an IVRS whose ranges close, with a valid checksum', () => {
    const bytes = buildIvrs({
      physicalAddressBits: 48,
      virtualAddressBits: 64,
      iommus: [
        {
          deviceId: 0x0002,
          segment: 0,
          base: 0xfeb8_0000n,
          devices: [
            [0x0000, 0x00ff],
            [0x0100, 0x0100],
          ],
          specials: [{ handle: 0x21, deviceId: 0x00a0, variety: 1 }],
        },
      ],
    });
    expect(byteSum(bytes)).toBe(0);
    const t = decodeIvrs(bytes);
    expect((t.ivInfo >> 8) & 0x7f).toBe(48);
    expect(validateIvrs(t)).toEqual([]);
  });
});
