// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { iortFindRootComplex, iortNamedComponentDevice, iortPciDevice, iortPlatformMsi } from './devices';
import { decodeIort, type IortTable } from './iort';
import { IortIndex } from './map-id';
import { iortRmrRegions } from './rmr';

const FIX = join(__dirname, '..', '..', 'test', 'fixtures');
const index = (rel: string) => new IortIndex(decodeIort(new Uint8Array(readFileSync(join(FIX, rel)))));

describe('a PCI function’s IORT translation (iort_iommu_configure_id(), iort_msi_map_id())', () => {
  const ix = index('iasl/variants/iort-server.aml');
  it('finds its SMMU and stream ID, its ITS DeviceID, ATS and the DMA limit', () => {
    expect(iortPciDevice(ix, 0, 0x0300)).toEqual({
      rootComplex: 4,
      iommu: { node: 2, type: 'SMMU_V3', streamId: 0x300 },
      msi: { node: 0, deviceId: 0x300, itsIds: [0, 1] },
      ats: true,
      dmaLimitBits: 48,
      log: [],
    });
    expect(iortPciDevice(ix, 1, 0x0300)).toMatchObject({
      iommu: { node: 3, streamId: 0x10300 },
      msi: { node: 1, deviceId: 0x10300, itsIds: [2] },
      ats: false,
      dmaLimitBits: 64,
    });
  });

  it('leaves a requester ID its root complex sends straight to the ITS untranslated', () => {
    const d = iortPciDevice(ix, 0, 0x9000)!;
    expect(d.iommu).toBeUndefined();
    expect(d.ats).toBe(false);
    expect(d.msi).toEqual({ node: 0, deviceId: 0x9000, itsIds: [0, 1] });
  });

  it('has nothing for a segment no root complex describes', () => {
    expect(iortFindRootComplex(ix, 7)).toBeUndefined();
    expect(iortPciDevice(ix, 7, 0)).toBeUndefined();
  });

  it('ignores the DMA limit of a revision 0 root complex and reports a zero limit from revision 1', () => {
    const t = decodeIort(new Uint8Array(readFileSync(join(FIX, 'iasl/variants/iort-server.aml'))));
    t.nodes[4]!.fields.MemoryAddressSizeLimit = 0;
    expect(iortPciDevice(new IortIndex(t), 0, 1)!.log).toEqual([
      'ACPI: IORT: [Firmware Bug]: Root complex missing memory address limit',
    ]);
    t.nodes[4]!.revision = 0;
    const d = iortPciDevice(new IortIndex(t), 0, 1)!;
    expect(d.dmaLimitBits).toBeUndefined();
    expect(d.log).toEqual([]);
  });
});

describe('named components (iort_nc_iommu_map(), iort_pmsi_get_dev_id())', () => {
  const ix = index('iasl/variants/iort-named-components.aml');
  it('collects single-mapping stream IDs up to the first mapping that reaches no SMMU', () => {
    expect(iortNamedComponentDevice(ix, '\\_SB_.ETH0')).toEqual({
      node: 2,
      streams: [
        { node: 1, type: 'SMMU_V3', streamId: 0x200 },
        { node: 1, type: 'SMMU_V3', streamId: 0x201 },
      ],
      msi: { node: 0, deviceId: 0x200, itsIds: [0] },
      dmaLimitBits: 44,
      pasidBits: 0,
      log: [],
    });
  });

  it('maps one input ID through a range mapping when the caller has one', () => {
    expect(iortNamedComponentDevice(ix, '\\_SB_.SATA.PRT0', 2)!.streams).toEqual([
      { node: 1, type: 'SMMU_V3', streamId: 0x302 },
    ]);
    expect(iortNamedComponentDevice(ix, '\\_SB_.SATA.PRT0')!.streams).toEqual([]);
  });

  it('gives an interrupt translator its ITS DeviceID, and reports its missing address limit', () => {
    const d = iortNamedComponentDevice(ix, '\\_SB_.MBI0')!;
    expect(d.streams).toEqual([]);
    expect(d.msi).toEqual({ node: 0, deviceId: 0x40080, itsIds: [0] });
    expect(d.dmaLimitBits).toBeUndefined();
    expect(d.log).toEqual(['ACPI: IORT: [Firmware Bug]: Named component missing memory address limit']);
  });

  it('matches the full path exactly, as strcmp() does', () => {
    expect(iortNamedComponentDevice(ix, '\\_SB.ETH0')).toBeUndefined();
  });
});

describe('platform devices with their own node', () => {
  const ix = index('iasl/variants/iort-server.aml');
  it('an SMMUv3 and a PMCG that signal by MSI get their DeviceIDs from the single mapping', () => {
    expect(iortPlatformMsi(ix, 2)).toEqual({ node: 0, deviceId: 0x20000, itsIds: [0, 1], log: [] });
    expect(iortPlatformMsi(ix, 7)).toEqual({ node: 0, deviceId: 0x20001, itsIds: [0, 1], log: [] });
  });
});

describe('RMR reserved regions (iort_get_rmr_sids())', () => {
  it('gives the SMMU’s stream IDs the ranges, page-aligning a range not 64K aligned, as Linux logs it', () => {
    const ix = index('iasl/variants/iort-server.aml');
    const { regions, log } = iortRmrRegions(ix, 2);
    expect(regions.map((r) => [r.start, r.length, r.type, r.cacheable, r.mmio])).toEqual([
      [0x8000_0000n, 0x1_0000n, 'direct-relaxable', true, false],
      [0x8000_8000n, 0x3000n, 'direct-relaxable', true, false],
    ]);
    expect(regions[0]!.streamIds).toEqual([{ first: 0x7f02, count: 1 }]);
    expect(log).toEqual([
      'ACPI: IORT: [Firmware Bug]: RMR descriptor[0x80000000 - 0x8000ffff] overlaps, continue anyway',
      'ACPI: IORT: [Firmware Bug]: RMR descriptor[0x80008000 - 0x8000afff] not aligned to 64K, continue with [0x80008000 - 0x8000afff]',
    ]);
    expect(iortRmrRegions(ix, 3).regions).toEqual([]);
    const big = iortRmrRegions(ix, 2, 65536);
    expect(big.regions[1]!.start).toBe(0x8000_0000n);
    expect(big.regions[1]!.length).toBe(0x1_0000n);
  });

  it('reads no RMR from a table before revision 5 (E.d)', () => {
    const t: IortTable = decodeIort(new Uint8Array(readFileSync(join(FIX, 'iasl/variants/iort-server.aml'))));
    t.header.revision = 3;
    expect(iortRmrRegions(new IortIndex(t), 2)).toEqual({ regions: [], log: [] });
  });
});
