// SPDX-License-Identifier: Apache-2.0
// The Linux DMA API of a device behind a translated domain (drivers/iommu/dma-iommu.c): map/unmap
// of pages and scatterlists, coherent allocations, syncs. IOVAs come from the cookie's allocator
// (32-bit first for PCI devices unless forcedac: iommu_dma_alloc_iova), PTEs are written through
// the hardware domain, and unmaps are invalidated strictly or through the flush queue. Untrusted
// devices are always strict and bounce sub-granule buffers through swiotlb. Every call runs on the
// current simulated CPU and is charged there (iommu-dma-cookie.ts).

import type { Hpa, Iova } from '../addresses';
import { COST_PAGE_TABLE, COST_SOFTWARE } from '../cost/cost-model';
import { PERM_READ, PERM_RW, PERM_WRITE } from '../page-table/format';
import type { SimCpu } from '../sim/sim-cpu';
import {
  type CoherentBuffer,
  DMA_MAPPING_ERROR,
  DMA_TO_DEVICE,
  type DmaDeviceInfo,
  type DmaDirection,
  type DmaOps,
  dmaBitMask,
  mapSgEach,
  type ScatterEntry,
} from './dma-types';
import type { IommuDmaCookie } from './iommu-dma-cookie';
import type { SwiotlbPool } from './swiotlb';

/** dma_info_to_prot(): device reads for TO_DEVICE, writes for FROM_DEVICE. */
const DIR_PROT: readonly number[] = [PERM_RW, PERM_READ, PERM_WRITE];
/** bouncedPhys() of an address swiotlb does not hold. */
const NOT_BOUNCED = -1 as Hpa;

export class IommuDmaOps implements DmaOps {
  readonly mode = 'iommu' as const;
  /** dev->iommu->pci_32bit_workaround: try below 4 GiB first until that fails once. */
  pci32bitWorkaround: boolean;
  readonly strict: boolean;

  constructor(
    readonly cookie: IommuDmaCookie,
    readonly dev: DmaDeviceInfo,
    opts: { forcedac?: boolean; swiotlb?: SwiotlbPool | null } = {},
  ) {
    this.pci32bitWorkaround = dev.isPci && !opts.forcedac;
    // Untrusted devices never use the flush queue (iommu_get_def_domain_type → DMA, not DMA_FQ).
    this.strict = cookie.options.mode === 'strict' || dev.untrusted;
    this.swiotlb = opts.swiotlb ?? null;
  }

  setMask(bits: number): void {
    this.dev.dmaBits = bits;
  }

  private readonly swiotlb: SwiotlbPool | null;

  private get sim() {
    return this.cookie.sim;
  }

  /** iommu_dma_alloc_iova(): returns the IOVA (bytes) or 0 when the space is exhausted. */
  allocIova(size: number, dmaLimit: number): Iova {
    const iovad = this.cookie.iovad;
    const shift = iovad.shift;
    const pages = size / iovad.granule;
    const limit = Math.min(dmaLimit, this.cookie.domain.apertureEnd - 1);
    if (limit > 0xffff_ffff && this.pci32bitWorkaround) {
      const pfn = this.cookie.allocIovaFast(pages, Math.floor(0xffff_ffff / 2 ** shift), false);
      if (pfn) return (pfn * iovad.granule) as Iova;
      this.pci32bitWorkaround = false;
      this.sim.printk(`${this.dev.name}: Using ${Math.ceil(Math.log2(limit + 1))}-bit DMA addresses`);
    }
    return (this.cookie.allocIovaFast(pages, Math.floor(limit / 2 ** shift), true) * iovad.granule) as Iova;
  }

  /** __iommu_dma_map(): maps [pa, pa + size) at a fresh IOVA; DMA_MAPPING_ERROR on failure. */
  private iommuDmaMap(pa: Hpa, size: number, prot: number, dmaLimit: number): Iova {
    const g = this.cookie.granule;
    const iovaOff = pa % g;
    const len = Math.ceil((size + iovaOff) / g) * g;
    const iova = this.allocIova(len, dmaLimit);
    if (!iova) return DMA_MAPPING_ERROR;
    this.cookie.map(iova, (pa - iovaOff) as Hpa, len, prot);
    return (iova + iovaOff) as Iova;
  }

  /** __iommu_dma_unmap() */
  private iommuDmaUnmap(dmaAddr: Iova, size: number): void {
    const g = this.cookie.granule;
    const iovaOff = dmaAddr % g;
    this.cookie.unmapAndRelease((dmaAddr - iovaOff) as Iova, Math.ceil((size + iovaOff) / g) * g, this.strict);
  }

  /** iova_unaligned() / dev_use_swiotlb(): untrusted device and a buffer not covering whole granules. */
  private needsBounce(pa: Hpa, size: number): boolean {
    const g = this.cookie.granule;
    return this.dev.untrusted && this.swiotlb !== null && (pa % g !== 0 || size % g !== 0);
  }

  /** iommu_dma_map_page() */
  mapPage(pa: Hpa, size: number, dir: DmaDirection): Iova {
    const cpu = this.cookie.enter();
    const cost = this.sim.cost;
    cost.charge(cpu, COST_SOFTWARE, cost.ns.dmaIommuMapOverhead);
    let phys = pa;
    if (this.needsBounce(pa, size)) {
      phys = this.swiotlb!.mapSingle(cpu.id, pa, size, this.dev.minAlignMask, this.cookie.granule - 1);
      this.sim.chargeSwiotlb(cpu, this.swiotlb!, cost.ns.swiotlbSlotAlloc, phys < 0 ? 0 : size);
      if (phys < 0) return DMA_MAPPING_ERROR;
    }
    const addr = this.iommuDmaMap(phys, size, DIR_PROT[dir]!, dmaBitMask(this.dev.dmaBits));
    if (addr < 0 && phys !== pa) this.swiotlb!.unmapSingle(phys, size, DMA_TO_DEVICE);
    return addr;
  }

  /** iommu_dma_unmap_page() */
  unmapPage(dmaAddr: Iova, size: number, dir: DmaDirection): void {
    const cpu = this.cookie.enter();
    const cost = this.sim.cost;
    cost.charge(cpu, COST_SOFTWARE, cost.ns.dmaIommuUnmapOverhead);
    const phys = this.bouncedPhys(dmaAddr);
    this.iommuDmaUnmap(dmaAddr, size);
    if (phys >= 0) this.unbounce(cpu, phys, size, dir);
  }

  /**
   * The swiotlb slot behind `dmaAddr` (iommu_iova_to_phys() then is_swiotlb_buffer()), or -1 when
   * the address is not bounced. The kernel's own DMA domain maps host physical addresses, so its
   * iova_to_phys() is an Hpa.
   */
  private bouncedPhys(dmaAddr: Iova): Hpa {
    if (!this.swiotlb) return NOT_BOUNCED;
    const phys = this.cookie.domain.iovaToPhys(dmaAddr) as Hpa;
    return phys >= 0 && this.swiotlb.isSwiotlbBuffer(phys) ? phys : NOT_BOUNCED;
  }

  private unbounce(cpu: SimCpu, phys: Hpa, size: number, dir: DmaDirection): void {
    const pool = this.swiotlb!;
    this.sim.chargeSwiotlb(cpu, pool, this.sim.cost.ns.swiotlbSlotFree, pool.unmapSingle(phys, size, dir));
  }

  /**
   * iommu_dma_map_sg(): one IOVA range for the whole list, each segment padded to the granule and
   * concatenated; __finalise_sg() then merges segments into DMA segments. Untrusted devices map
   * entry by entry (iommu_dma_map_sg_swiotlb). Returns the number of DMA segments, 0 on failure.
   */
  mapSg(sg: ScatterEntry[], dir: DmaDirection): number {
    if (this.dev.untrusted) return mapSgEach(this, sg, dir, (s) => this.mapPage(s.pa, s.length, dir));
    const cpu = this.cookie.enter();
    const cost = this.sim.cost;
    cost.charge(cpu, COST_SOFTWARE, cost.ns.dmaIommuMapOverhead);
    const g = this.cookie.granule;
    const padded: number[] = [];
    let iovaLen = 0;
    for (const s of sg) {
      const off = s.pa % g;
      const len = Math.ceil((s.length + off) / g) * g;
      padded.push(len);
      iovaLen += len;
    }
    const iova = this.allocIova(iovaLen, dmaBitMask(this.dev.dmaBits));
    if (!iova) return 0;
    let at: number = iova;
    for (let i = 0; i < sg.length; i++) {
      const s = sg[i]!;
      this.cookie.domain.map(at as Iova, (s.pa - (s.pa % g)) as Hpa, padded[i]!, DIR_PROT[dir]!);
      at += padded[i]!;
    }
    // iommu_map_sg() is one call for the list: one fixed part, then per-PTE cost (U01, U09 batching).
    cost.charge(cpu, COST_PAGE_TABLE, cost.ns.iommuMapCall + (iovaLen / g - 1) * cost.ns.pteWrite);
    return this.finaliseSg(sg, padded, iova);
  }

  /** __finalise_sg(): concatenates granule-aligned continuations up to max_segment_size. */
  private finaliseSg(sg: ScatterEntry[], padded: number[], iova: Iova): number {
    const g = this.cookie.granule;
    const maxLen = this.dev.maxSegmentSize;
    let dmaAddr: number = iova;
    let cur = -1;
    let curLen = 0;
    let count = 0;
    for (let i = 0; i < sg.length; i++) {
      const s = sg[i]!;
      const sOff = s.pa % g;
      s.dmaAddress = DMA_MAPPING_ERROR;
      s.dmaLength = 0;
      if (curLen > 0 && sOff === 0 && maxLen - curLen >= s.length) {
        curLen += s.length;
      } else {
        cur++;
        curLen = s.length;
        count++;
        sg[cur]!.dmaAddress = (dmaAddr + sOff) as Iova;
      }
      sg[cur]!.dmaLength = curLen;
      dmaAddr += padded[i]!;
      if (s.length + sOff < padded[i]!) curLen = 0;
    }
    return count;
  }

  /** iommu_dma_unmap_sg(): the list was one IOVA range; its ends are the first and last DMA segments. */
  unmapSg(sg: ScatterEntry[], dir: DmaDirection): void {
    if (this.dev.untrusted) {
      for (const s of sg) if (s.dmaLength > 0) this.unmapPage(s.dmaAddress, s.dmaLength, dir);
      return;
    }
    const cpu = this.cookie.enter();
    this.sim.cost.charge(cpu, COST_SOFTWARE, this.sim.cost.ns.dmaIommuUnmapOverhead);
    let start = -1;
    let end = 0;
    for (const s of sg) {
      if (s.dmaLength === 0) break;
      if (start < 0) start = s.dmaAddress;
      end = s.dmaAddress + s.dmaLength;
    }
    if (start >= 0) this.iommuDmaUnmap(start as Iova, end - start);
  }

  /** iommu_dma_alloc(): zeroed pages mapped at a fresh IOVA below the coherent mask. */
  allocCoherent(size: number): CoherentBuffer | null {
    const cpu = this.cookie.enter();
    const cost = this.sim.cost;
    const pages = Math.ceil(size / 4096);
    const cpuPa = this.sim.pages.allocPages(pages);
    if (cpuPa < 0) return null;
    cost.charge(cpu, COST_SOFTWARE, cost.ns.dmaIommuMapOverhead + pages * cost.ns.tablePageAlloc);
    const dmaAddr = this.iommuDmaMap(cpuPa, pages * 4096, PERM_RW, dmaBitMask(this.dev.dmaBits));
    if (dmaAddr < 0) {
      this.sim.pages.freePages(cpuPa, pages);
      return null;
    }
    return { cpuPa, dmaAddr };
  }

  /** iommu_dma_free() */
  freeCoherent(size: number, cpuPa: Hpa, dmaAddr: Iova): void {
    const cpu = this.cookie.enter();
    this.sim.cost.charge(cpu, COST_SOFTWARE, this.sim.cost.ns.dmaIommuUnmapOverhead);
    const pages = Math.ceil(size / 4096);
    this.iommuDmaUnmap(dmaAddr, pages * 4096);
    this.sim.pages.freePages(cpuPa, pages);
  }

  /** iommu_dma_sync_single_for_cpu(): copies a bounce buffer back when one is in use. */
  syncSingleForCpu(dmaAddr: Iova, size: number, dir: DmaDirection): void {
    this.sync(dmaAddr, size, dir, true);
  }

  /** iommu_dma_sync_single_for_device() */
  syncSingleForDevice(dmaAddr: Iova, size: number, dir: DmaDirection): void {
    this.sync(dmaAddr, size, dir, false);
  }

  private sync(dmaAddr: Iova, size: number, dir: DmaDirection, forCpu: boolean): void {
    const cpu = this.cookie.enter();
    const phys = this.bouncedPhys(dmaAddr);
    if (phys >= 0) this.sim.chargeSwiotlbSync(cpu, this.swiotlb!, phys, size, dir, forCpu);
  }
}
