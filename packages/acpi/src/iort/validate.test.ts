// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeIort, encodeIort, type IortTable } from './iort';
import { MAX_OVERLAP_FINDINGS, validateIort } from './validate';

const FIX = join(__dirname, '..', '..', 'test', 'fixtures');
const table = (rel: string): IortTable => decodeIort(new Uint8Array(readFileSync(join(FIX, rel))));
const codes = (t: IortTable) =>
  validateIort(t).map((f) => `${f.severity} ${f.code}${f.structure !== undefined ? `@${f.structure}` : ''}`);

describe('IORT validation', () => {
  it('finds QEMU 7.2’s ID Count off-by-one where Linux prints it, and where it does not', () => {
    const f = validateIort(table('qemu-generated-7.2.22/virt-smmuv3-bus-bypass.IORT.dat'));
    expect(f.map((x) => x.code)).toEqual(['MAP_OFF_BY_ONE', 'MAP_OFF_BY_ONE']);
    expect(f[0]!.message).toBe(
      'ID mappings #0 [0x4000-0x4200] and #1 [0x0-0x4000] of node 2 (ROOT_COMPLEX) share input ID 0x4000: Number of IDs holds the count, not the count minus one. Linux uses #0 for 0x4000 without a word',
    );
    expect(f[1]!.message).toContain(
      'Linux: "ACPI: IORT: [Firmware Bug]: [map 0xec] conflicting mapping for input ID 0x4200", "ACPI: IORT: [Firmware Bug]: applying workaround."; it uses #2 for 0x4200',
    );
  });

  it('has no finding on QEMU’s ITS-only table beyond saying nothing is translated', () => {
    expect(codes(table('qemu-upstream-10.0.13/virt.IORT.dat'))).toEqual(['info NO_IOMMU']);
  });

  it('reports the iasl template’s empty mappings, zero bases and its SMMUv3’s DeviceID mapping', () => {
    expect(codes(table('iasl/v20250404/iort.aml'))).toEqual(
      expect.arrayContaining([
        'error NULL_REFERENCE@1',
        'error SMMU_BASE_ZERO@3',
        'error SMMU_BASE_ZERO@4',
        'error INVALID_MSI_MAPPING@4',
      ]),
    );
  });

  it('flags a reference to no node, a reference cycle and a node count past the table', () => {
    const t = table('qemu-generated-7.2.22/virt-smmuv3.IORT.dat');
    t.nodes[1]!.mappings[0]!.outputReference = 0xa0;
    t.nodes[2]!.mappings[1]!.outputReference = 0x31;
    t.nodeCount = 5;
    expect(codes(t)).toEqual(
      expect.arrayContaining([
        'error NODE_COUNT',
        'warning REFERENCE_TYPE@1',
        'error BAD_REFERENCE@2',
        'error REFERENCE_CYCLE@1',
      ]),
    );
  });

  it('flags overlapping ranges, a second root complex for a segment and a zero memory limit', () => {
    const t = table('iasl/variants/iort-server.aml');
    t.nodes[5]!.fields.PciSegmentNumber = 0;
    t.nodes[4]!.mappings[0]!.idCount = 0x80ff;
    t.nodes[4]!.fields.MemoryAddressSizeLimit = 0;
    const f = validateIort(t);
    expect(f.map((x) => x.code)).toEqual(
      expect.arrayContaining(['DUPLICATE_SEGMENT', 'MAP_OVERLAP', 'NO_MEMORY_LIMIT']),
    );
    expect(f.find((x) => x.code === 'MAP_OVERLAP')!.message).toMatch(
      /#0 \[0x0-0x80ff\] and #1 \[0x8000-0x8100\] .* share input IDs 0x8000-0x80ff\. Linux uses #0 for 0x8000 without a word/,
    );
  });

  it('flags an SMMUv3 DeviceID mapping that is not a single mapping, an index past the mappings and a stray single mapping', () => {
    const t = table('iasl/variants/iort-server.aml');
    t.nodes[2]!.mappings[1]!.flags = 0;
    expect(codes(t)).toContain('error INVALID_MSI_MAPPING@2');
    t.nodes[2]!.fields.DeviceIdMappingIndex = 5;
    expect(codes(t)).toEqual(expect.arrayContaining(['error ID_MAPPING_INDEX@2', 'warning SMMU_NO_IRQ@2']));
    const u = table('iasl/variants/iort-server.aml');
    u.nodes[3]!.mappings[0]!.flags = 1;
    expect(validateIort(u).find((x) => x.code === 'SINGLE_MAPPING')!.message).toContain(
      'SINGLE MAPPING flag not allowed for node type 4, skipping ID map',
    );
  });

  it('reports the RMR descriptors Linux complains about', () => {
    expect(validateIort(table('iasl/variants/iort-server.aml')).filter((f) => f.code === 'RMR')).toHaveLength(2);
  });

  it('bounds what a crafted table costs: 3,000 identical mappings give a capped list of overlaps', () => {
    const t = table('qemu-upstream-7.2.0/virt.IORT.dat');
    const m = t.nodes[1]!.mappings[0]!;
    t.nodes[1]!.mappings = Array.from({ length: 3000 }, () => ({ ...m }));
    const again = decodeIort(encodeIort(t, { fixChecksum: true }));
    const f = validateIort(again).filter((x) => x.code === 'MAP_OVERLAP');
    expect(f).toHaveLength(MAX_OVERLAP_FINDINGS + 1);
    expect(f[MAX_OVERLAP_FINDINGS]!.message).toBe(
      `and ${(3000 * 2999) / 2 - MAX_OVERLAP_FINDINGS} more overlapping pairs of ID mappings in node 1 (ROOT_COMPLEX)`,
    );
  });
});
