// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARM_2S } from '../../test/iort-built-spec';
import { byteSum } from '../header';
import { buildIort, type IortSpec } from './build';
import { iortPciDevice, iortPlatformMsi } from './devices';
import { decodeIort } from './iort';
import { IortIndex } from './map-id';
import { iortRmrRegions } from './rmr';
import { validateIort } from './validate';

describe('building an IORT', () => {
  const bytes = buildIort(ARM_2S);
  const t = decodeIort(bytes);
  const ix = new IortIndex(t);

  it('lays out ITS groups, SMMUv3s, root complexes and RMRs (E.d revisions) with a valid checksum', () => {
    expect(byteSum(bytes)).toBe(0);
    expect(t.header.revision).toBe(5);
    expect(t.nodes.map((n) => `${n.name}/${n.revision}/${n.identifier}`)).toEqual([
      'ITS_GROUP/1/0',
      'ITS_GROUP/1/1',
      'SMMU_V3/4/2',
      'SMMU_V3/4/3',
      'ROOT_COMPLEX/4/4',
      'ROOT_COMPLEX/4/5',
      'RMR/3/6',
    ]);
    expect(validateIort(t)).toEqual([]);
  });

  it('translates as described: RIDs through the SMMU to stream IDs, the rest straight to the ITS', () => {
    expect(iortPciDevice(ix, 0, 0x0210)).toMatchObject({
      iommu: { node: 2, streamId: 0x210 },
      msi: { node: 0, deviceId: 0x210 },
      ats: true,
      dmaLimitBits: 48,
    });
    expect(iortPciDevice(ix, 0, 0x8010)).toMatchObject({ msi: { node: 0, deviceId: 0x8010 }, ats: false });
    expect(iortPciDevice(ix, 0, 0x8010)!.iommu).toBeUndefined();
    expect(iortPciDevice(ix, 1, 0x0210)).toMatchObject({
      iommu: { node: 3, streamId: 0x10210 },
      msi: { node: 1, deviceId: 0x10210 },
    });
  });

  it('gives each SMMU its own MSI DeviceID and the RMR to its stream IDs', () => {
    expect(iortPlatformMsi(ix, 2)).toMatchObject({ node: 0, deviceId: 0x10000 });
    expect(iortPlatformMsi(ix, 3)).toMatchObject({ node: 1, deviceId: 0x10001 });
    const { regions, log } = iortRmrRegions(ix, 2);
    expect(log).toEqual([]);
    expect(regions).toMatchObject([
      { start: 0x8000_0000n, length: 0x20_0000n, streamIds: [{ first: 0x100, count: 2 }] },
    ]);
  });

  it('builds an SMMU with wired interrupts without a DeviceID mapping', () => {
    const w = decodeIort(
      buildIort({
        smmus: [{ base: 0x905_0000n, gsiv: { event: 0x6a, pri: 0x6b, gerr: 0x6d, sync: 0x6c } }],
        rootComplexes: [{ segment: 0, ranges: [{ first: 0, last: 0xffff, smmu: 0 }] }],
      }),
    );
    expect(w.nodes[1]!.mappings).toHaveLength(1);
    expect(validateIort(w)).toEqual([]);
  });

  it('is byte-identical to the fixture iasl disassembled (test/fixtures/built)', () => {
    const fixture = readFileSync(join(__dirname, '..', '..', 'test', 'fixtures', 'built', 'iofleet-arm-2s.IORT.dat'));
    expect(Buffer.from(bytes).equals(fixture)).toBe(true);
  });

  it('refuses a spec that cannot be laid out, with a typed error', () => {
    const bad = (spec: Partial<IortSpec>, msg: RegExp) =>
      expect(() => buildIort({ smmus: [], rootComplexes: [], ...spec })).toThrow(msg);
    bad({ rootComplexes: [{ segment: 0, ranges: [{ first: 0, last: 0x10, smmu: 2 }] }] }, /no SMMU 2/);
    bad(
      {
        rootComplexes: [
          {
            segment: 0,
            ranges: [
              { first: 0, last: 0x10 },
              { first: 0x10, last: 0x20 },
            ],
          },
        ],
      },
      /RIDs 16-32: overlaps another range/,
    );
    bad({ rootComplexes: [{ segment: 0, ranges: [{ first: 0, last: 0x10000 }] }] }, /not a range of 16-bit RIDs/);
    bad({ smmus: [{ base: 1n, gsiv: { event: 1, pri: 0, gerr: 2, sync: 3 } }] }, /needs all four GSIVs/);
    bad({ smmus: [{ base: 1n, itsGroup: 3 }] }, /no ITS group 3/);
  });
});
