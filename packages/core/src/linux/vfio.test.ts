// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import type { IommuDomainOps } from '../iommu/domain-ops';
import { PhysMemory } from '../memory/phys-memory';
import { PageTable } from '../page-table/page-table';
import { vtdSecondStageFormat } from '../page-table/vtd-second-stage';
import { HwCounters } from '../stats/hw-counters';
import { checkViable, isVfioError, VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, VfioContainer } from './vfio';

/** Unit-test double: an UNMANAGED domain over a real page table, invalidation counted only. */
function domain(): IommuDomainOps & { syncs: number } {
  const mem = new PhysMemory();
  const pt = new PageTable(mem, vtdSecondStageFormat({ widthBits: 48, superpages: { '2M': true, '1G': true } }));
  const d = {
    domainId: 1,
    pageSizesLg2: [12, 21, 30],
    apertureEnd: 2 ** 48,
    counters: new HwCounters(),
    syncs: 0,
    get tablePages() {
      return pt.tablePages;
    },
    map: (i: number, p: number, l: number, perm: number) => pt.map(i, p, l, perm),
    unmap: (i: number, l: number) => pt.unmap(i, l),
    iotlbSync: () => {
      d.syncs++;
    },
    flushIotlbAll: () => {},
    iovaToPhys: (i: number) => pt.iovaToPhys(i),
  };
  return d;
}

const gpu = { name: '0000:01:00.0', driver: 'vfio-pci', bridge: false };

describe('VFIO type1', () => {
  it('refuses a group with a device still on a host driver, with the words QEMU prints', () => {
    const g = { id: 1, devices: [gpu, { name: '0000:01:00.1', driver: 'snd_hda_intel', bridge: false }] };
    let err: unknown;
    try {
      checkViable(g, '0000:01:00.0');
    } catch (e) {
      err = e;
    }
    expect(isVfioError(err)).toBe(true);
    expect((err as Error).message).toBe(
      'vfio 0000:01:00.0: group 1 is not viable\nPlease ensure all devices within the iommu_group are bound to their vfio bus driver.',
    );
    // The whole group bound (or driverless, or a port on pcieport) is viable.
    expect(() =>
      checkViable(
        {
          id: 1,
          devices: [
            gpu,
            { name: '0000:01:00.1', driver: null, bridge: false },
            { name: '0000:00:01.0', driver: 'pcieport', bridge: true },
          ],
        },
        'x',
      ),
    ).not.toThrow();
    expect(() => checkViable({ id: 2, devices: [{ ...gpu, rmrr: true }] }, 'x')).toThrow(
      /ineligible for IOMMU domain attach due to platform RMRR/,
    );
  });

  it('maps guest memory GPA -> HPA, pins it, refuses overlaps and splits, and unmaps whole mappings', () => {
    const d = domain();
    const c = new VfioContainer(d, (vaddr) => 0x1_0000_0000 + vaddr, 8 << 20);
    c.addGroup({ id: 1, devices: [gpu] });
    const rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    c.mapDma(0, 0, 4 << 20, rw);
    expect(d.iovaToPhys(0x201234)).toBe(0x1_0020_1234);
    expect(c.pinnedBytes).toBe(4 << 20);
    expect(() => c.mapDma(0x10_0000, 0x10_0000, 4096, rw)).toThrow(/overlaps/);
    expect(() => c.mapDma(0x80_0000, 0x80_0000, 8 << 20, rw)).toThrow(/locked memory limit/);
    expect(() => c.mapDma(0x123, 0x40_0000, 4096, rw)).toThrow(/aligned/);
    expect(() => c.unmapDma(0, 4096)).toThrow(/split/);
    expect(c.unmapDma(0, 4 << 20)).toBe(4 << 20);
    expect(d.iovaToPhys(0x201234)).toBe(-1);
    expect(d.syncs).toBe(1);
    expect(c.pinnedBytes).toBe(0);
  });
});
