// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostInventory } from './inventory';
import { loadHost } from './load';

const EXAMPLES = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts');

describe('hostInventory', () => {
  it('describes the NUMA nodes and every endpoint with the facts placement decides on', () => {
    const inv = hostInventory(loadHost(join(EXAMPLES, 'intel-xeon-2s.yaml')));
    expect(inv.iommuMode).toBe('lazy'); // intel_iommu=on: DMA-FQ
    // 2 sockets x 32 cores over 2 nodes of 256 GiB.
    expect(inv.numaNodes).toEqual([
      { id: 0, socket: 0, cpus: 32, memoryMiB: 262_144 },
      { id: 1, socket: 1, cpus: 32, memoryMiB: 262_144 },
    ]);
    const byId = new Map(inv.devices.map((d) => [d.id, d]));
    // Root ports, bridges and switch ports are left out; the conventional PCI endpoint is kept.
    expect(byId.has('0000:00:01.0')).toBe(false);
    expect(byId.has('0000:81:00.0')).toBe(false);
    expect(byId.get('0000:05:00.0')?.deviceClass).toBe('serial');
    expect(byId.get('0000:02:00.0')).toEqual({
      id: '0000:02:00.0',
      vendor: '8086',
      product: '1592',
      deviceClass: 'nic',
      numaNode: 0, // its root port's
      pcieRoot: '0000:00:02.0',
      iommuGroup: byId.get('0000:02:00.0')!.iommuGroup,
      hasVfs: true,
      healthy: true,
      plugin: 'nic',
    });
    const vf = inv.devices.find((d) => d.physfn === '0000:02:00.0')!;
    expect(vf).toMatchObject({ deviceClass: 'nic', pcieRoot: '0000:00:02.0' });
    expect(vf.hasVfs).toBeUndefined();
    // A GPU and its audio function share a group; the switch's drives sit below socket 1's port.
    expect(byId.get('0000:03:00.0')!.iommuGroup).toBe(byId.get('0000:03:00.1')!.iommuGroup);
    expect(byId.get('0000:03:00.1')!.plugin).toBeUndefined();
    expect(inv.devices.some((d) => d.hostBound)).toBe(false); // nothing is host-bound on this host
    expect(byId.get('0000:83:00.0')).toMatchObject({ numaNode: 1, pcieRoot: '0000:80:01.0' });
  });

  it('says off, with group 0 everywhere, when the IOMMU is off; pt and strict as booted', () => {
    const file = join(EXAMPLES, 'intel-xeon-2s.yaml');
    const off = hostInventory(loadHost(file, { cmdline: 'intel_iommu=off' }));
    expect(off.iommuMode).toBe('off');
    expect(off.devices.every((d) => d.iommuGroup === 0)).toBe(true);
    expect(hostInventory(loadHost(file, { cmdline: 'intel_iommu=on iommu=pt' })).iommuMode).toBe('pt');
    expect(hostInventory(loadHost(file, { cmdline: 'intel_iommu=on iommu.strict=1' })).iommuMode).toBe('strict');
  });
});
