// SPDX-License-Identifier: Apache-2.0
// The simulated machine the DMA layer runs on: clock, CPUs, memory, a page allocator for DMA
// buffers, the cost model, and a kernel log. Helpers charge costs (including lock contention) to
// a CPU and keep the cost model's per-category breakdown complete.

import type { Hpa } from '../addresses';
import { COST_LOCK_WAIT, COST_SWIOTLB, CostModel } from '../cost/cost-model';
import { type CostProfile, INTEL_ICELAKE_SP } from '../cost/cost-profile';
import { PhysMemory } from '../memory/phys-memory';
import { SimClock } from '../sim/sim-clock';
import { type SimCpu, SimCpuSet } from '../sim/sim-cpu';
import type { SimLock } from '../sim/sim-lock';
import type { DmaDirection } from './dma-types';
import { SimPageAllocator } from './page-allocator';
import type { SwiotlbPool } from './swiotlb';

/** Bound on kept log lines (STYLE.md item 16); older lines are dropped. */
export const DMA_LOG_MAX_LINES = 1000;

export interface DmaSimOptions {
  cpuCount?: number;
  numaNodes?: number;
  profile?: CostProfile;
  mem?: PhysMemory;
  /** Physical range DMA buffers are allocated from (default 1 GiB .. 2.5 GiB, below 4 GiB). */
  bufferBasePa?: number;
  bufferLimitPa?: number;
}

export class DmaSim {
  readonly clock: SimClock;
  readonly cpus: SimCpuSet;
  readonly cost: CostModel;
  readonly mem: PhysMemory;
  readonly pages: SimPageAllocator;
  readonly log: string[] = [];

  constructor(opts: DmaSimOptions = {}) {
    this.clock = new SimClock();
    this.cpus = new SimCpuSet(this.clock, opts.cpuCount ?? 1, opts.numaNodes ?? 1);
    this.cost = new CostModel(opts.profile ?? INTEL_ICELAKE_SP);
    this.mem = opts.mem ?? new PhysMemory();
    this.pages = new SimPageAllocator(opts.bufferBasePa ?? 0x4000_0000, opts.bufferLimitPa ?? 0xa000_0000);
  }

  /** Appends a kernel log line (dev_warn, dev_notice...). */
  printk(line: string): void {
    if (this.log.length >= DMA_LOG_MAX_LINES) this.log.shift();
    this.log.push(line);
  }

  /** Holds `lock` for `holdNs` on `cpu`; hold time goes to `category`, waiting to lockWait. */
  lockedCharge(cpu: SimCpu, lock: SimLock, category: number, holdNs: number): void {
    const waitNs = lock.acquire(cpu, holdNs);
    this.cost.totals[category]! += holdNs;
    this.cost.totals[COST_LOCK_WAIT]! += waitNs;
  }

  /** Charges a swiotlb map or unmap: slot bookkeeping under the CPU's area lock, then the copy. */
  chargeSwiotlb(cpu: SimCpu, pool: SwiotlbPool, slotNs: number, copiedBytes: number): void {
    this.lockedCharge(cpu, pool.areaLocks[pool.areaOf(cpu.id)]!, COST_SWIOTLB, slotNs);
    this.cost.charge(cpu, COST_SWIOTLB, copiedBytes * this.cost.ns.swiotlbCopy);
  }

  /**
   * swiotlb_sync_single_for_cpu (`forCpu`) or _for_device on bounce address `tlbAddr`, charged on
   * `cpu`: the same for dma-direct and dma-iommu once they have the bounce address.
   */
  chargeSwiotlbSync(
    cpu: SimCpu,
    pool: SwiotlbPool,
    tlbAddr: Hpa,
    size: number,
    dir: DmaDirection,
    forCpu: boolean,
  ): void {
    const copied = forCpu ? pool.syncForCpu(tlbAddr, size, dir) : pool.syncForDevice(tlbAddr, size, dir);
    this.chargeSwiotlb(cpu, pool, 0, copied);
  }
}
