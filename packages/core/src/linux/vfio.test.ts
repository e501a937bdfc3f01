// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { domainId, iova, type PhysAddr } from '../addresses';
import type { IommuDomainOps } from '../iommu/domain-ops';
import { newTranslationOut } from '../iommu/translation';
import { PhysMemory } from '../memory/phys-memory';
import { PageTable } from '../page-table/page-table';
import { vtdSecondStageFormat } from '../page-table/vtd-second-stage';
import { HwCounters } from '../stats/hw-counters';
import { VtdUnit } from '../vtd/unit';
import { checkViable, isVfioError, VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, VfioContainer } from './vfio';

/** Unit-test double: an UNMANAGED domain over a real page table, invalidation counted only. */
function domain(): IommuDomainOps & { syncs: number } {
  const mem = new PhysMemory();
  const pt = new PageTable(mem, vtdSecondStageFormat({ widthBits: 48, superpages: { '2M': true, '1G': true } }));
  const d = {
    domainId: domainId(1),
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
    iovaToPhys: (i: number) => pt.iovaToPhys(i) as PhysAddr,
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
    c.mapDma(0, iova(0), 4 << 20, rw);
    expect(d.iovaToPhys(iova(0x201234))).toBe(0x1_0020_1234);
    expect(c.pinnedBytes).toBe(4 << 20);
    expect(() => c.mapDma(0x10_0000, iova(0x10_0000), 4096, rw)).toThrow(/overlaps/);
    expect(() => c.mapDma(0x80_0000, iova(0x80_0000), 8 << 20, rw)).toThrow(/locked memory limit/);
    expect(() => c.mapDma(0x123, iova(0x40_0000), 4096, rw)).toThrow(/aligned/);
    expect(() => c.unmapDma(iova(0), 4096)).toThrow(/split/);
    expect(c.unmapDma(iova(0), 4 << 20)).toBe(4 << 20);
    expect(d.iovaToPhys(iova(0x201234))).toBe(-1);
    expect(d.syncs).toBe(1);
    expect(c.pinnedBytes).toBe(0);
  });

  it('leaves no translation of an unaligned unmap in the IOTLB of a real VT-d unit', () => {
    // UNMAP_DMA of 0x3000+0x2000: Linux flushes the 8-page block at 0 (calculate_psi_aligned_address);
    // a flush of ilog2(2 pages) at 0x2000 would leave the device's write to 0x4000 hitting the IOTLB.
    const unit = new VtdUnit({ mem: new PhysMemory() });
    const d = unit.createDomain('unmanaged');
    unit.attachDevice(0x0100, d);
    const c = new VfioContainer(d, (vaddr) => 0x1_0000_0000 + vaddr);
    c.addGroup({ id: 1, devices: [gpu] });
    c.mapDma(0x3000, iova(0x3000), 0x2000, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    const out = newTranslationOut();
    const write = (address: number) =>
      unit.translate({ sourceId: 0x0100, segment: 0, address, write: true, pasid: -1 }, out);
    write(0x4000);
    expect(out).toMatchObject({ ok: true, pa: 0x1_0000_4000 });
    expect(c.unmapDma(iova(0x3000), 0x2000)).toBe(0x2000);
    write(0x4000);
    expect(out.ok).toBe(false);
    expect(out.fault!.logLine).toBe(
      'DMAR: [DMA Write NO_PASID] Request device [01:00.0] fault addr 0x4000 [fault reason 0x05] PTE Write access is not set',
    );
  });

  it('refuses MAP_DMA over the MSI window and beyond the aperture (vfio_iommu_iova_dma_valid: -EINVAL)', () => {
    const c = new VfioContainer(domain(), (vaddr) => 0x1_0000_0000 + vaddr);
    c.addGroup({ id: 1, devices: [gpu] });
    expect(c.iovaRanges).toEqual([
      [0, 0xfedf_ffff],
      [0xfef0_0000, 2 ** 48 - 1],
    ]);
    const rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    let err: unknown;
    try {
      c.mapDma(0, iova(0xfed0_0000), 0x20_0000, rw); // ends inside 0xfee00000-0xfeefffff
    } catch (e) {
      err = e;
    }
    expect(isVfioError(err) && err.vfioCode).toBe('EINVAL');
    expect(() => c.mapDma(0, iova(0xfee0_0000), 4096, rw)).toThrow(/usable IOVA ranges/);
    expect(() => c.mapDma(0, iova(2 ** 48 - 4096), 0x2000, rw)).toThrow(/usable IOVA ranges/);
    expect(c.mappings).toBe(0);
    c.mapDma(0, iova(0xfec0_0000), 0x20_0000, rw); // up to the window, and from just past it
    c.mapDma(0x20_0000, iova(0xfef0_0000), 4096, rw);
    expect(c.mappings).toBe(2);
    // A container whose groups have an RMRR too excludes it as well.
    const r = new VfioContainer(domain(), (v) => v, undefined, [
      [0xfee0_0000, 0xfeef_ffff],
      [0x7b00_0000, 0x7f7f_ffff],
    ]);
    expect(r.iovaRanges).toEqual([
      [0, 0x7aff_ffff],
      [0x7f80_0000, 0xfedf_ffff],
      [0xfef0_0000, 2 ** 48 - 1],
    ]);
  });
});
