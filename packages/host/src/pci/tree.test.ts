// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { hostDescriptionSchema } from '../description/schema';
import { parseYamlWithSchema } from '../description/yaml-schema';
import { HostError } from '../errors';
import { buildPciTree } from './tree';

const HEAD = 'name: t\ncpu: { vendor: intel, coresPerSocket: 4 }\nnumaNodes: [{ id: 0, memoryGiB: 8 }]\npci:\n';
const tree = (pci: string) =>
  buildPciTree(parseYamlWithSchema(HEAD + pci, 't.yaml', hostDescriptionSchema).value.pci, 't.yaml');

describe('PCI tree', () => {
  it('derives secondary and subordinate buses and probe order', () => {
    const t = tree(`
  - { bdf: "00:01.0", kind: rootPort }
  - { bdf: "01:00.0", kind: switchUpstream, parent: "00:01.0" }
  - { bdf: "02:01.0", kind: switchDownstream, parent: "01:00.0" }
  - { bdf: "03:00.0", kind: endpoint, parent: "02:01.0" }
  - { bdf: "00:02.0", kind: endpoint }
`);
    const rp = t.functions[0]!;
    expect([rp.secondaryBus, rp.subordinateBus]).toEqual([1, 3]);
    // pci_bus_add_devices(): all of bus 0 first, then each bridge's bus in turn.
    expect(t.inProbeOrder().map((f) => f.text)).toEqual(['00:01.0', '00:02.0', '01:00.0', '02:01.0', '03:00.0']);
    expect(t.isBelow(t.functions[3]!, rp)).toBe(true);
    expect(t.isBelow(t.functions[4]!, rp)).toBe(false);
  });

  it.each([
    [
      'an unknown parent',
      '  - { bdf: "01:00.0", kind: endpoint, parent: "00:09.0" }\n',
      /parent 00:09.0 is not in the PCI list/,
    ],
    [
      'a duplicate address',
      '  - { bdf: "00:01.0", kind: endpoint }\n  - { bdf: "00:01.0", kind: endpoint }\n',
      /duplicate/,
    ],
    [
      'a parent that is not a bridge',
      '  - { bdf: "00:01.0", kind: endpoint }\n  - { bdf: "01:00.0", kind: endpoint, parent: "00:01.0" }\n',
      /not a bridge/,
    ],
    [
      'children on two buses',
      '  - { bdf: "00:01.0", kind: rootPort }\n  - { bdf: "01:00.0", kind: endpoint, parent: "00:01.0" }\n  - { bdf: "02:00.0", kind: endpoint, parent: "00:01.0" }\n',
      /different buses/,
    ],
  ])('rejects %s with a typed error', (_name, pci, re) => {
    expect(() => tree(pci)).toThrow(HostError);
    expect(() => tree(pci)).toThrow(re);
  });
});
