// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { HostError } from '../errors';
import { hostDescriptionSchema } from './schema';
import { parseYamlWithSchema } from './yaml-schema';

const GOOD = `name: small
cpu: { vendor: intel, coresPerSocket: 8 }
numaNodes:
  - { id: 0, memoryGiB: 64 }
pci:
  - { bdf: "00:01.0", kind: rootPort, acs: true }
  - { bdf: "01:00.0", kind: endpoint, parent: "00:01.0", plugin: nvme }
`;

describe('host description', () => {
  it('parses a minimal host and fills defaults', () => {
    const { value } = parseYamlWithSchema(GOOD, 'small.yaml', hostDescriptionSchema);
    expect(value.iommu.addressWidth).toBe(48);
    expect(value.iommu.iotlb.entries).toBe(512);
    expect(value.pci[1]!.parent).toBe('00:01.0');
  });

  it('reports file, line and path of a bad field', () => {
    const bad = GOOD.replace('bdf: "01:00.0"', 'bdf: "01:00.9"');
    let err: unknown;
    try {
      parseYamlWithSchema(bad, 'small.yaml', hostDescriptionSchema);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HostError);
    const he = err as HostError;
    expect(he.code).toBe('DESCRIPTION_INVALID');
    expect(he.issues[0]).toMatchObject({ file: 'small.yaml', line: 7, path: 'pci[1].bdf' });
    expect(he.message).toMatch(/^small\.yaml:7: pci\[1\]\.bdf: /);
  });

  it('points a missing required key at its parent mapping line', () => {
    const bad = GOOD.replace('cpu: { vendor: intel, coresPerSocket: 8 }', 'cpu:\n  vendor: intel');
    try {
      parseYamlWithSchema(bad, 'h.yaml', hostDescriptionSchema);
      expect.unreachable();
    } catch (e) {
      expect((e as HostError).issues[0]).toMatchObject({ path: 'cpu.coresPerSocket', line: 3 });
    }
  });

  it('points an unknown key at its own line, not its block, and lists every issue', () => {
    const bad = GOOD.replace(
      'cpu: { vendor: intel, coresPerSocket: 8 }',
      'cpu:\n  vendor: intel\n  coresPerSocket: 8\n  cores: 8',
    ).replace(
      '  - { id: 0, memoryGiB: 64 }',
      '  - { id: 0, memoryGiB: 64 }\niommu:\n  addressWidth: 48\n  iotbl: { entries: 64 }',
    );
    try {
      parseYamlWithSchema(bad, 'h.yaml', hostDescriptionSchema);
      expect.unreachable();
    } catch (e) {
      const he = e as HostError;
      expect(he.issues).toEqual([
        { file: 'h.yaml', line: 5, path: 'cpu.cores', message: "unknown key 'cores'" },
        { file: 'h.yaml', line: 10, path: 'iommu.iotbl', message: "unknown key 'iotbl'" },
      ]);
      expect(he.message.split('\n')).toEqual([
        "h.yaml:5: cpu.cores: unknown key 'cores'",
        "h.yaml:10: iommu.iotbl: unknown key 'iotbl'",
      ]);
    }
  });

  it('reports YAML syntax errors with a line', () => {
    try {
      parseYamlWithSchema('name: [unclosed\n', 'x.yaml', hostDescriptionSchema);
      expect.unreachable();
    } catch (e) {
      expect((e as HostError).code).toBe('YAML_SYNTAX');
      expect((e as HostError).issues[0]!.line).toBeGreaterThan(0);
    }
  });
});

describe('host description: IOMMU fields of the other firmware table', () => {
  const arm = `name: a
cpu: { vendor: arm, coresPerSocket: 8 }
numaNodes: [{ id: 0, memoryGiB: 64 }]
`;
  it('an Arm host refuses DMAR/IVRS unit fields and RMRRs, with the path', () => {
    expect(() =>
      parseYamlWithSchema(
        `${arm}iommu: { units: [{ base: 0x1000, includeAll: true }] }\n`,
        'a.yaml',
        hostDescriptionSchema,
      ),
    ).toThrow(/a\.yaml:4: iommu\.units\[0\]: includeAll and scope are DMAR\/IVRS unit fields/);
    expect(() =>
      parseYamlWithSchema(
        `${arm}iommu: { rmrr: [{ base: 0, end: 4095, devices: ["00:01.0"] }] }\n`,
        'a.yaml',
        hostDescriptionSchema,
      ),
    ).toThrow(/iommu\.rmrr: rmrr is Intel\/AMD firmware; an Arm host gives iommu\.rmr/);
  });

  it('an x86 host refuses IORT fields and a page size other than 4K', () => {
    const x86 = arm.replace('vendor: arm', 'vendor: amd');
    expect(() =>
      parseYamlWithSchema(
        `${x86}iommu: { units: [{ base: 0x1000, rids: [0, 255] }] }\n`,
        'x.yaml',
        hostDescriptionSchema,
      ),
    ).toThrow(/iommu\.units\[0\]\.rids: rids is an Arm \(IORT\) unit field; this host is amd/);
    expect(() => parseYamlWithSchema(`${x86}iommu: { pageSize: 64K }\n`, 'x.yaml', hostDescriptionSchema)).toThrow(
      /iommu\.pageSize: pageSize 64K is an arm64 kernel's/,
    );
  });
});
