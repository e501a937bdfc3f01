// SPDX-License-Identifier: Apache-2.0
// The DMA API without translation (kernel/dma/direct.c): IOMMU off, or an identity (pass-through)
// domain. The DMA address is the physical address; swiotlb bounces only when the buffer is beyond
// the device's DMA mask (dma_capable() fails) or when swiotlb=force.

import type { Hpa, Iova } from '../addresses';
import { COST_SOFTWARE } from '../cost/cost-model';
import type { SimCpu } from '../sim/sim-cpu';
import type { DmaSim } from './dma-sim';
import {
  type CoherentBuffer,
  DMA_MAPPING_ERROR,
  DMA_TO_DEVICE,
  type DmaDeviceInfo,
  type DmaDirection,
  type DmaOps,
  dmaAddrOfPhys,
  dmaBitMask,
  mapSgEach,
  physOfDmaAddr,
  type ScatterEntry,
} from './dma-types';
import type { SwiotlbPool } from './swiotlb';

export class DirectDmaOps implements DmaOps {
  readonly mode = 'direct' as const;

  constructor(
    readonly sim: DmaSim,
    readonly dev: DmaDeviceInfo,
    readonly swiotlb: SwiotlbPool | null = null,
    /** swiotlb=force: bounce every mapping. */
    readonly forceBounce = false,
  ) {}

  /** dma_capable(): the whole buffer is addressable by the device. */
  dmaCapable(addr: number, size: number): boolean {
    return addr + size - 1 <= dmaBitMask(this.dev.dmaBits);
  }

  setMask(bits: number): void {
    this.dev.dmaBits = bits;
  }

  /** swiotlb_map(): bounce, then check the bounce buffer itself is reachable. */
  private swiotlbMap(cpu: SimCpu, pa: Hpa, size: number): Iova {
    const pool = this.swiotlb!;
    const tlb = pool.mapSingle(cpu.id, pa, size, this.dev.minAlignMask);
    this.sim.chargeSwiotlb(cpu, pool, this.sim.cost.ns.swiotlbSlotAlloc, tlb < 0 ? 0 : size);
    if (tlb < 0) return DMA_MAPPING_ERROR;
    if (!this.dmaCapable(tlb, size)) {
      pool.unmapSingle(tlb, size, DMA_TO_DEVICE);
      return this.overflow('swiotlb addr', tlb, size);
    }
    return dmaAddrOfPhys(tlb);
  }

  /** The dev_WARN_ONCE of dma_direct_map_page()/swiotlb_map() when `addr` is beyond the mask. */
  private overflow(what: string, addr: number, size: number): Iova {
    this.sim.printk(
      `${this.dev.name}: ${what} 0x${addr.toString(16)}+${size} overflow (mask ${dmaBitMask(this.dev.dmaBits).toString(16)})`,
    );
    return DMA_MAPPING_ERROR;
  }

  /** dma_direct_map_page() */
  mapPage(pa: Hpa, size: number, _dir: DmaDirection): Iova {
    return this.mapOne(pa, size, this.sim.cost.ns.dmaDirectMap);
  }

  private mapOne(pa: Hpa, size: number, callNs: number): Iova {
    const cpu = this.sim.cpus.beginCall();
    this.sim.cost.charge(cpu, COST_SOFTWARE, callNs);
    if (this.forceBounce && this.swiotlb) return this.swiotlbMap(cpu, pa, size);
    if (!this.dmaCapable(pa, size)) {
      if (this.swiotlb) return this.swiotlbMap(cpu, pa, size);
      return this.overflow('DMA addr', pa, size);
    }
    return dmaAddrOfPhys(pa);
  }

  /** dma_direct_unmap_page() */
  unmapPage(dmaAddr: Iova, size: number, dir: DmaDirection): void {
    this.unmapOne(dmaAddr, size, dir, this.sim.cost.ns.dmaDirectUnmap);
  }

  private unmapOne(dmaAddr: Iova, size: number, dir: DmaDirection, callNs: number): void {
    const cpu = this.sim.cpus.beginCall();
    this.sim.cost.charge(cpu, COST_SOFTWARE, callNs);
    const pool = this.swiotlb;
    const pa = physOfDmaAddr(dmaAddr);
    if (pool?.isSwiotlbBuffer(pa)) {
      this.sim.chargeSwiotlb(cpu, pool, this.sim.cost.ns.swiotlbSlotFree, pool.unmapSingle(pa, size, dir));
    }
  }

  /**
   * dma_direct_map_sg(): entry by entry, no merging. One dma_map_sg() call pays the call overhead
   * once; each further entry only the inline loop body (dmaDirectSgEntry).
   */
  mapSg(sg: ScatterEntry[], dir: DmaDirection): number {
    const ns = this.sim.cost.ns;
    return mapSgEach(this, sg, dir, (s, i) =>
      this.mapOne(s.pa, s.length, i === 0 ? ns.dmaDirectMap : ns.dmaDirectSgEntry),
    );
  }

  unmapSg(sg: ScatterEntry[], dir: DmaDirection): void {
    let first = true;
    for (const s of sg) {
      if (s.dmaLength <= 0) continue;
      const ns = this.sim.cost.ns;
      this.unmapOne(s.dmaAddress, s.dmaLength, dir, first ? ns.dmaDirectUnmap : ns.dmaDirectSgEntry);
      first = false;
    }
  }

  /**
   * dma_direct_alloc(): pages the device can reach. Departure: the model has one buffer zone, so
   * a device whose mask cannot reach it gets null instead of a GFP_DMA32 retry.
   */
  allocCoherent(size: number): CoherentBuffer | null {
    const cpu = this.sim.cpus.beginCall();
    const pages = Math.ceil(size / 4096);
    const pa = this.sim.pages.allocPages(pages);
    if (pa < 0) return null;
    this.sim.cost.charge(cpu, COST_SOFTWARE, this.sim.cost.ns.dmaDirectMap + pages * this.sim.cost.ns.tablePageAlloc);
    if (!this.dmaCapable(pa, pages * 4096)) {
      this.sim.pages.freePages(pa, pages);
      return null;
    }
    return { cpuPa: pa, dmaAddr: dmaAddrOfPhys(pa) };
  }

  freeCoherent(size: number, cpuPa: Hpa, _dmaAddr: Iova): void {
    const cpu = this.sim.cpus.beginCall();
    this.sim.cost.charge(cpu, COST_SOFTWARE, this.sim.cost.ns.dmaDirectUnmap);
    this.sim.pages.freePages(cpuPa, Math.ceil(size / 4096));
  }

  /** dma_direct_sync_single_for_cpu(): copies a bounce buffer back when one is in use. */
  syncSingleForCpu(dmaAddr: Iova, size: number, dir: DmaDirection): void {
    this.sync(dmaAddr, size, dir, true);
  }

  /** dma_direct_sync_single_for_device() */
  syncSingleForDevice(dmaAddr: Iova, size: number, dir: DmaDirection): void {
    this.sync(dmaAddr, size, dir, false);
  }

  private sync(dmaAddr: Iova, size: number, dir: DmaDirection, forCpu: boolean): void {
    const cpu = this.sim.cpus.beginCall();
    const pool = this.swiotlb;
    const pa = physOfDmaAddr(dmaAddr);
    if (pool?.isSwiotlbBuffer(pa)) this.sim.chargeSwiotlbSync(cpu, pool, pa, size, dir, forCpu);
  }
}
