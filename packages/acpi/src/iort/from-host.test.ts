// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { buildIort } from './build';
import { iortPciDevice } from './devices';
import { iortSpecForArmHost } from './from-host';
import { decodeIort } from './iort';
import { IortIndex } from './map-id';
import { iortRmrRegions } from './rmr';
import { validateIort } from './validate';

describe('an Arm host description to an IORT', () => {
  const spec = iortSpecForArmHost(
    {
      its: [[0], [1]],
      ats: true,
      units: [
        { base: 0x1000_0000n, segment: 0, rids: [0x0100, 0x7fff] },
        { base: 0x2000_0000n, segment: 1, streamIdBase: 0x10000, its: 1, numaNode: 1 },
      ],
      reserved: [{ base: 0x8000_0000n, end: 0x801f_ffffn, segment: 0, rid: 0x0200 }],
    },
    [0, 1, 2],
  );

  it('gives each segment a root complex whose uncovered RIDs go straight to the ITS', () => {
    expect(spec.rootComplexes.map((rc) => [rc.segment, rc.ranges])).toEqual([
      [
        0,
        [
          { first: 0, last: 0xff, itsGroup: 0 },
          { first: 0x100, last: 0x7fff, smmu: 0 },
          { first: 0x8000, last: 0xffff, itsGroup: 0 },
        ],
      ],
      [1, [{ first: 0, last: 0xffff, smmu: 1, streamIdBase: 0x10000 }]],
      [2, [{ first: 0, last: 0xffff, itsGroup: 0 }]],
    ]);
  });

  it('builds a table Linux reads as described, with the reserved range on the device’s stream ID', () => {
    const t = decodeIort(buildIort(spec));
    expect(validateIort(t)).toEqual([]);
    const ix = new IortIndex(t);
    expect(iortPciDevice(ix, 0, 0x0200)).toMatchObject({ iommu: { node: 2, streamId: 0x200 }, ats: true });
    expect(iortPciDevice(ix, 0, 0x0010)!.iommu).toBeUndefined();
    expect(iortPciDevice(ix, 1, 0x0010)).toMatchObject({ iommu: { node: 3, streamId: 0x10010 }, msi: { node: 1 } });
    expect(iortPciDevice(ix, 2, 0x0010)!.iommu).toBeUndefined();
    expect(t.nodes[3]!.fields).toMatchObject({ Flags: 9, ProximityDomain: 1 });
    expect(iortRmrRegions(ix, 2).regions).toMatchObject([
      { start: 0x8000_0000n, length: 0x20_0000n, streamIds: [{ first: 0x200, count: 1 }] },
    ]);
  });

  it('refuses overlapping units and a reserved range behind no SMMU', () => {
    expect(() =>
      iortSpecForArmHost({
        units: [
          { base: 1n, rids: [0, 0x100] },
          { base: 2n, rids: [0x100, 0x200] },
        ],
      }),
    ).toThrow(/iommu.units\[1\]: RIDs 256-512 overlap another unit's in segment 0/);
    expect(() =>
      iortSpecForArmHost({
        units: [{ base: 1n, rids: [0, 0xff] }],
        reserved: [{ base: 0n, end: 0xfffn, segment: 0, rid: 0x100 }],
      }),
    ).toThrow(/reserved\[0\]: RID 256 of segment 0 is behind no SMMU/);
  });
});
