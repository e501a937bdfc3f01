// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeIort, type IortTable } from './iort';
import {
  IORT_IOMMU_TYPE,
  IORT_MSI_TYPE,
  IortIndex,
  iortGetIdMappingIndex,
  iortIdMap,
  iortNodeMapId,
  iortNodeStep,
} from './map-id';

const FIX = join(__dirname, '..', '..', 'test', 'fixtures');
const table = (rel: string): IortTable => decodeIort(new Uint8Array(readFileSync(join(FIX, rel))));
const map = (inputBase: number, idCount: number, outputBase: number, flags = 0) => ({
  inputBase,
  idCount,
  outputBase,
  outputReference: 0x30,
  flags,
});

describe('iort_id_map()', () => {
  it('maps IDs inside [base, base + count] and refuses the rest', () => {
    expect(iortIdMap(map(0x100, 0xff, 0x1000), 2, 0x123, false, 0)).toEqual({ rc: 0, id: 0x1023, log: [] });
    expect(iortIdMap(map(0x100, 0xff, 0x1000), 2, 0xff, false, 0).rc).toBe(-6);
    expect(iortIdMap(map(0x100, 0xff, 0x1000), 2, 0x200, false, 0).rc).toBe(-6);
  });

  it('returns -EAGAIN for the last ID of a range (the id_count off-by-one) but still maps it', () => {
    expect(iortIdMap(map(0, 0x100, 0x5000), 2, 0x100, false, 0)).toEqual({ rc: -11, id: 0x5100, log: [] });
    expect(iortIdMap(map(7, 0, 0x5000), 2, 7, false, 0)).toEqual({ rc: 0, id: 0x5000, log: [] });
  });

  it('lets a later mapping supersede only at its first ID, and says so', () => {
    const r = iortIdMap(map(0x100, 0x10, 0x9000), 2, 0x100, true, 0xd8);
    expect(r).toEqual({
      rc: 0,
      id: 0x9000,
      log: [
        'ACPI: IORT: [Firmware Bug]: [map 0xd8] conflicting mapping for input ID 0x100',
        'ACPI: IORT: [Firmware Bug]: applying workaround.',
      ],
    });
    expect(iortIdMap(map(0x100, 0x10, 0x9000), 2, 0x101, true, 0xd8)).toEqual({
      rc: -6,
      log: ['ACPI: IORT: [Firmware Bug]: [map 0xd8] conflicting mapping for input ID 0x101'],
    });
  });

  it('takes single mappings for named components and root complexes only', () => {
    expect(iortIdMap(map(0, 0, 0x42, 1), 1, 0x1234, false, 0)).toEqual({ rc: 0, id: 0x42, log: [] });
    expect(iortIdMap(map(0, 0, 0x42, 1), 4, 0x1234, false, 0x90)).toEqual({
      rc: -6,
      log: ['ACPI: IORT: [Firmware Bug]: [map 0x90] SINGLE MAPPING flag not allowed for node type 4, skipping ID map'],
    });
  });

  it('does its arithmetic in u32, as C does', () => {
    expect(iortIdMap(map(0xffff_ff00, 0x200, 0), 2, 0xffff_ff10, false, 0).rc).toBe(-6); // base + count wraps
    expect(iortIdMap(map(0, 0xffff, 0xffff_fff0), 2, 0x20, false, 0).id).toBe(0x10);
  });
});

describe('iort_get_id_mapping_index()', () => {
  const t = table('iasl/variants/iort-server.aml');
  it('uses an SMMUv3 revision 5 index only with DeviceID valid set', () => {
    const smmu = t.nodes[2]!;
    expect(iortGetIdMappingIndex(smmu, 0x64)).toEqual({ index: 1, log: [] });
    expect(iortGetIdMappingIndex({ ...smmu, fields: { ...smmu.fields, Flags: 0x09 } }, 0x64).index).toBe(-1);
  });

  it('below revision 5 ignores the index when all four GSIVs are wired, and uses it otherwise', () => {
    const wired = t.nodes[3]!;
    expect(wired.revision).toBe(4);
    expect(iortGetIdMappingIndex(wired, 0xd0).index).toBe(-1);
    expect(iortGetIdMappingIndex({ ...wired, fields: { ...wired.fields, PriGsiv: 0 } }, 0xd0).index).toBe(0);
    expect(iortGetIdMappingIndex({ ...wired, revision: 0 }, 0xd0).index).toBe(-1);
  });

  it('reports an index past the mappings as Linux does', () => {
    const smmu = t.nodes[2]!;
    expect(iortGetIdMappingIndex({ ...smmu, fields: { ...smmu.fields, DeviceIdMappingIndex: 2 } }, 0x64)).toEqual({
      index: -1,
      log: ['ACPI: IORT: [Firmware Bug]: [node 0x64 type 4] ID mapping index overflows valid mappings'],
    });
  });

  it('gives a PMCG index 0 when it signals by MSI', () => {
    const pmcg = t.nodes.find((n) => n.name === 'PMCG')!;
    expect(iortGetIdMappingIndex(pmcg, 0).index).toBe(0);
    expect(iortGetIdMappingIndex({ ...pmcg, fields: { ...pmcg.fields, OverflowInterruptGsiv: 9 } }, 0).index).toBe(-1);
  });
});

describe('iort_node_map_id()', () => {
  it('follows root complex -> SMMUv3 -> ITS, skipping the SMMU’s own DeviceID mapping', () => {
    const ix = new IortIndex(table('iasl/variants/iort-server.aml'));
    expect(iortNodeMapId(ix, 4, 0x1234, IORT_IOMMU_TYPE)).toEqual({ node: 2, id: 0x1234, log: [] });
    expect(iortNodeMapId(ix, 4, 0x1234, IORT_MSI_TYPE)).toEqual({ node: 0, id: 0x1234, log: [] });
    expect(iortNodeMapId(ix, 5, 0x10, IORT_IOMMU_TYPE)).toEqual({ node: 3, id: 0x10010, log: [] });
  });

  it('applies the off-by-one workaround at QEMU 7.2’s bus boundary, with its log lines', () => {
    const ix = new IortIndex(table('qemu-generated-7.2.22/virt-smmuv3.IORT.dat'));
    expect(iortNodeMapId(ix, 2, 0xff, IORT_IOMMU_TYPE).node).toBe(1);
    const r = iortNodeMapId(ix, 2, 0x100, IORT_IOMMU_TYPE);
    expect(r.node).toBeUndefined();
    expect(r.id).toBe(0x100);
    expect(r.log).toEqual([
      'ACPI: IORT: [Firmware Bug]: [map 0xd8] conflicting mapping for input ID 0x100',
      'ACPI: IORT: [Firmware Bug]: applying workaround.',
    ]);
    expect(iortNodeStep(ix, 2, 0x100)).toMatchObject({ ref: 0x30, mapping: 1 });
  });

  it('falls back to the range that ended on the ID when no later one starts there', () => {
    const t = table('qemu-generated-7.2.22/virt-smmuv3.IORT.dat');
    t.nodes[2]!.mappings[1]!.inputBase = 0x101; // the ITS range no longer starts at 0x100
    const ix = new IortIndex(t);
    expect(iortNodeStep(ix, 2, 0x100)).toEqual({ ref: 0x48, id: 0x100, mapping: 0, viaFallback: true, log: [] });
    expect(iortNodeMapId(ix, 2, 0x100, IORT_IOMMU_TYPE)).toMatchObject({ node: 1, id: 0x100 });
  });

  it('returns the input ID unchanged when no mapping takes it', () => {
    const ix = new IortIndex(table('iasl/variants/iort-server.aml'));
    const r = iortNodeMapId(ix, 5, 0x1_0000, IORT_IOMMU_TYPE);
    expect(r).toEqual({ node: undefined, id: 0x1_0000, log: [] });
  });

  it('stops, and says why, on a reference cycle or a reference to no node', () => {
    const t = table('qemu-generated-7.2.22/virt-smmuv3.IORT.dat');
    t.nodes[1]!.mappings[0]!.outputReference = 0xa0; // SMMU -> root complex -> SMMU ...
    const cyc = iortNodeMapId(new IortIndex(t), 2, 5, IORT_MSI_TYPE);
    expect(cyc.node).toBeUndefined();
    expect(cyc.broken).toMatch(/cycle/);
    t.nodes[1]!.mappings[0]!.outputReference = 0x44;
    expect(iortNodeMapId(new IortIndex(t), 2, 5, IORT_MSI_TYPE).broken).toBe(
      'output reference 0x44 is not the start of a node',
    );
  });

  it('prints the NULL parent reference bug and fails', () => {
    const t = table('qemu-upstream-7.2.0/virt.IORT.dat');
    t.nodes[1]!.mappings[0]!.outputReference = 0;
    expect(iortNodeMapId(new IortIndex(t), 1, 5, IORT_MSI_TYPE)).toEqual({
      node: undefined,
      id: 5,
      log: ['ACPI: IORT: [Firmware Bug]: [node 0x48 type 2] ID map has NULL parent reference'],
    });
  });
});
