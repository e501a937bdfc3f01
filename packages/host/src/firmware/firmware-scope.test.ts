// SPDX-License-Identifier: Apache-2.0
import { DMAR_SCOPE, IVHD_ENTRY } from '@iofleet/acpi';
import { bdf } from '@iofleet/core';
import { describe, expect, it } from 'vitest';
import { hostDescriptionSchema } from '../description/schema';
import { parseYamlWithSchema } from '../description/yaml-schema';
import { buildPciTree } from '../pci/tree';
import { DRHD_INCLUDE_PCI_ALL, type DrhdLike, matchDrhd, resolveScope, scopeFor } from './dmar-scope';
import { ivhdCoverage, matchIvhd, sbdfKey } from './ivhd-scope';

const tree = buildPciTree(
  parseYamlWithSchema(
    `name: t
cpu: { vendor: intel, coresPerSocket: 4 }
numaNodes: [{ id: 0, memoryGiB: 8 }]
pci:
  - { bdf: "00:02.0", kind: endpoint }
  - { bdf: "00:1c.0", kind: rootPort }
  - { bdf: "01:00.0", kind: switchUpstream, parent: "00:1c.0" }
  - { bdf: "02:03.0", kind: switchDownstream, parent: "01:00.0" }
  - { bdf: "03:00.0", kind: endpoint, parent: "02:03.0" }
  - { bdf: "00:1f.0", kind: endpoint }
`,
    't.yaml',
    hostDescriptionSchema,
  ).value.pci,
);
const fn = (b: string) => tree.functions.find((f) => f.text === b)!;

describe('DMAR device scopes (dmar_find_matched_drhd_unit)', () => {
  it('resolves multi-hop paths through bridges and builds them back', () => {
    const s = {
      type: DMAR_SCOPE.PCI_ENDPOINT,
      enumerationId: 0,
      startBus: 0,
      path: [
        { device: 0x1c, function: 0 },
        { device: 0, function: 0 },
        { device: 3, function: 0 },
        { device: 0, function: 0 },
      ],
    };
    expect(resolveScope(tree, 0, s)?.text).toBe('03:00.0');
    expect(scopeFor(fn('03:00.0'))).toEqual(s);
    expect(resolveScope(tree, 0, { ...s, path: [{ device: 0x1d, function: 0 }] })).toBeUndefined();
  });

  it('matches endpoint scopes, bridge sub-hierarchies, then the segment INCLUDE_PCI_ALL unit', () => {
    const drhds: DrhdLike[] = [
      { flags: DRHD_INCLUDE_PCI_ALL, segment: 0, registerBaseAddress: 0xfed91000n, deviceScopes: [] },
      {
        flags: 0,
        segment: 0,
        registerBaseAddress: 0xfed90000n,
        deviceScopes: [scopeFor(fn('00:02.0'), DMAR_SCOPE.PCI_ENDPOINT)],
      },
      {
        flags: 0,
        segment: 0,
        registerBaseAddress: 0xfed92000n,
        deviceScopes: [scopeFor(fn('00:1c.0'), DMAR_SCOPE.PCI_BRIDGE)],
      },
    ];
    expect(matchDrhd(tree, drhds, fn('00:02.0'))).toBe(1);
    expect(matchDrhd(tree, drhds, fn('03:00.0'))).toBe(2); // below the bridge scope
    expect(matchDrhd(tree, drhds, fn('00:1c.0'))).toBe(2); // the bridge itself
    expect(matchDrhd(tree, drhds, fn('00:1f.0'))).toBe(0); // INCLUDE_PCI_ALL, even listed first
    expect(matchDrhd(tree, drhds.slice(1), fn('00:1f.0'))).toBe(-1); // no unit: no translation
  });
});

describe('IVHD device entries (init_iommu_from_acpi)', () => {
  it('maps selects, ranges and alias ranges to units, and ALL to the rest of its segment', () => {
    const ivhds = [
      {
        type: 0x11,
        deviceId: 0x0002,
        segment: 0,
        entries: [
          { type: IVHD_ENTRY.SELECT, deviceId: bdf(0, 0x14, 0) },
          { type: IVHD_ENTRY.ALIAS_START, deviceId: bdf(5, 0, 0), aliasDeviceId: bdf(4, 0, 0) },
          { type: IVHD_ENTRY.END, deviceId: bdf(5, 0x1f, 7) },
        ],
      },
      { type: 0x11, deviceId: 0x2002, segment: 0, entries: [{ type: IVHD_ENTRY.ALL, deviceId: 0 }] },
    ];
    const cov = ivhdCoverage(ivhds);
    expect(matchIvhd(ivhds, cov, 0, bdf(0, 0x14, 0))).toBe(0);
    expect(matchIvhd(ivhds, cov, 0, bdf(5, 3, 1))).toBe(0);
    expect(cov.aliasOf.get(sbdfKey(0, bdf(5, 3, 1)))).toBe(bdf(4, 0, 0));
    expect(matchIvhd(ivhds, cov, 0, bdf(0x40, 0, 0))).toBe(1);
    expect(matchIvhd(ivhds, cov, 1, bdf(0, 0x14, 0))).toBe(-1);
  });
});
