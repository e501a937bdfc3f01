// SPDX-License-Identifier: Apache-2.0
// Named hardware cost profiles: what one operation of the IOMMU, the memory system and the Linux
// DMA layer costs on a given platform, in nanoseconds or CPU cycles. Every parameter says where it
// comes from: a row id of shared/reference/published-measurements.md (U01, U06, U07, R34...) or
// 'assumption: ...' with the reasoning; and `from` lists, typed, the published measurements its
// value was set from (empty for a pure assumption), which `iofleet calibrate --cross-validate` uses
// to tell the calibration rows that depend on parameters set from themselves. The cost model (cost-model.ts) converts between ns and
// cycles with the profile's clock; nothing here is measured from the simulator's wall clock.

import { CoreError } from '../errors';

/** An id of shared/reference/published-measurements.md: R (ratio rows) or U (unit costs). */
export type MeasurementId = `R${number}` | `U${number}`;

export interface CostParam {
  readonly value: number;
  readonly unit: 'ns' | 'cycles' | 'ns/byte' | 'ratio' | 'GHz' | 'count';
  /** Row id of published-measurements.md, 'fitted: why' or 'assumption: why'. */
  readonly source: string;
  /**
   * The published measurements the value was set from: read off them (U06's l0), derived from
   * them (R34's walk = the latency an IOTLB miss adds) or fitted to them (R02's dma-iommu
   * bookkeeping: what is left of lazy's cost). Empty for a pure assumption.
   */
  readonly from: readonly MeasurementId[];
}

/** Every per-operation cost the model charges. Names carry the operation; units are in the param. */
export interface CostParams {
  // --- device side: a DMA access through the IOMMU -------------------------------------------
  /** Latency an IOTLB hit adds to a device access. */
  iotlbHit: CostParam;
  /** Memory latency of one page-walk read (root/context/PTE level). */
  walkMemRead: CostParam;
  /** Paging-structure-cache hit (saves upper-level reads; small lookup cost). */
  pscHit: CostParam;
  /** Context-cache (VT-d) / DTE cache (AMD) miss: the extra root + context reads. */
  contextCacheMiss: CostParam;
  /** DMA base latency per 4 KiB without protection (F&S l0); a smaller request pays its bytes' share. */
  dmaBase: CostParam;
  /**
   * Page walks one IOMMU has in progress at once (concurrent walkers / outstanding walk reads):
   * independent requests that miss the IOTLB queue for a walker, not behind each other.
   */
  pageWalkers: CostParam;
  // --- CPU side: the IOMMU driver ----------------------------------------------------------
  /** Writing one invalidation descriptor / command into the queue (CPU side, under the queue lock). */
  invDescriptor: CostParam;
  /** Hardware time to process one invalidation descriptor (serialised per IOMMU unit). */
  invProcess: CostParam;
  /** Waiting for invalidation completion (VT-d wait descriptor / AMD COMPLETION_WAIT) beyond processing. */
  invWait: CostParam;
  /**
   * SMMUv3: hardware time per TLBI command before a CMD_SYNC after it can complete — the TCU
   * sends the invalidation to every TBU and the sync waits until they have dropped the entries
   * (IHI 0070 §4.7). Serialised per unit like invProcess; charged per HW_TLB_INVALIDATIONS, which
   * only SMMUv3 units count.
   */
  invTlbiSync: CostParam;
  /** iommu_map() of one leaf, fixed part of the call (page-table code only). */
  iommuMapCall: CostParam;
  /** iommu_unmap() of one leaf, fixed part of the call. */
  iommuUnmapCall: CostParam;
  /** Each PTE written beyond the call's fixed part. */
  pteWrite: CostParam;
  /** Allocating and zeroing one page-table page. */
  tablePageAlloc: CostParam;
  tablePageFree: CostParam;
  // --- CPU side: Linux dma-iommu / IOVA / swiotlb / dma-direct ----------------------------
  /** alloc_iova_fast/free_iova_fast served by a per-CPU magazine. */
  iovaFast: CostParam;
  /** rbtree path: fixed part (kmem_cache alloc, insert, rebalance) under the rbtree lock. */
  iovaSlowBase: CostParam;
  /** rbtree path: per node stepped over by the top-down search. */
  iovaSlowPerNode: CostParam;
  /** dma-iommu software around the pieces on map (iommu_dma_map_page, prot, checks). */
  dmaIommuMapOverhead: CostParam;
  dmaIommuUnmapOverhead: CostParam;
  /** queue_iova(): per-CPU flush-queue lock + ring add. */
  fqQueue: CostParam;
  /** dma_direct_map_page() (pass-through / no IOMMU). */
  dmaDirectMap: CostParam;
  dmaDirectUnmap: CostParam;
  /** Each further entry of dma_direct_map_sg()/unmap_sg() (the per-entry work is inline). */
  dmaDirectSgEntry: CostParam;
  /** swiotlb slot search + bookkeeping per mapping. */
  swiotlbSlotAlloc: CostParam;
  swiotlbSlotFree: CostParam;
  /** Bounce copy, per byte. */
  swiotlbCopy: CostParam;
  /** One ktime_get() as dma_map_benchmark brackets every call with two. */
  ktimeGet: CostParam;
  /** Coefficient of variation of run-to-run timing noise (cache, interrupts) applied by benchmarks. */
  timingJitterCv: CostParam;
  // --- a guest's virtio-iommu: the VMM's side, on the host's CPUs (host/src/vm/virtio-iommu.ts) --
  /**
   * One virtio-iommu request round trip beyond the host's IOMMU work: the virtqueue kick (VM
   * exit), the VMM's dispatch and VFIO ioctl entry, the completion seen by the polling vCPU.
   */
  viommuRequest: CostParam;
  /** vfio_pin_pages_remote() per 4 KiB page (pin_user_pages + accounting). */
  vfioPinPage: CostParam;
  /** vfio_unpin_pages_remote() per page (put_page + accounting). */
  vfioUnpinPage: CostParam;
}

export interface CostProfile {
  readonly name: string;
  readonly description: string;
  readonly unit: 'vtd' | 'amd' | 'smmu';
  /** Core clock used to convert cycles <-> ns, GHz. */
  readonly cpuGhz: CostParam;
  readonly params: CostParams;
}

/** An assumption; `from` names the measurements it borrows from (another part's value), if any. */
const A = (value: number, unit: CostParam['unit'], why: string, from: readonly MeasurementId[] = []): CostParam => ({
  value,
  unit,
  source: `assumption: ${why}`,
  from,
});
/** A value set from published measurements `from`; `source` says how. */
const M = (value: number, unit: CostParam['unit'], from: readonly MeasurementId[], source: string): CostParam => ({
  value,
  unit,
  source,
  from,
});
/** A value fitted so that calibration rows `from` come out: not a measurement of the parameter. */
const F = (value: number, unit: CostParam['unit'], from: readonly MeasurementId[], why: string): CostParam => ({
  value,
  unit,
  source: `fitted: ${why}`,
  from,
});

/** VT-d and AMD-Vi count no TLBI commands: their completion is in invProcess + invWait (U07). */
const NO_TLBI_SYNC = A(0, 'ns', 'not an SMMUv3: the unit counts no TLBI commands (HW_TLB_INVALIDATIONS)');

/** Linux software costs, shared by x86 profiles (same kernel code; scaled by nothing but the clock). */
const LINUX_SOFTWARE = {
  iommuMapCall: M(64, 'ns', ['U01'], 'U01: iommu_map() 4 KiB ≈ 62–65 ns (AMD v1, kunit)'),
  iommuUnmapCall: M(74, 'ns', ['U01'], 'U01: iommu_unmap() 4 KiB ≈ 71–76 ns'),
  pteWrite: M(1.2, 'ns', ['U01'], 'U01: (381 − 65) / 255 ns per extra contiguous PTE'),
  tablePageAlloc: A(300, 'ns', 'one zeroed page from the page allocator (~4 KiB clear at ~20 GB/s + alloc)'),
  tablePageFree: A(80, 'ns', 'page free to the per-CPU list'),
  iovaFast: A(35, 'ns', 'per-CPU spinlock + magazine pop/push, cache-hot'),
  iovaSlowBase: A(180, 'ns', 'kmem_cache_alloc + rb insert/rebalance + rbtree spinlock'),
  iovaSlowPerNode: A(6, 'ns', 'one rb_prev step, node usually cached'),
  dmaIommuMapOverhead: F(
    60,
    'ns',
    ['R02'],
    'R02: lazy adds 0.32 µs per I/O over pass-through, so iommu_dma_map_page/unmap bookkeeping is what is left after ' +
      'U01 page-table updates, the IOVA fast path and the flush-queue add (≈ 0.1 µs for both); was 140, a facts §7 guess',
  ),
  dmaIommuUnmapOverhead: F(
    45,
    'ns',
    ['R02'],
    'R02: the other half of the bookkeeping above (iova_to_phys, gather setup)',
  ),
  fqQueue: A(40, 'ns', 'queue_iova(): per-CPU fq spinlock, ring add, counter read'),
  dmaDirectMap: M(
    20,
    'ns',
    ['R02', 'R04'],
    'R02: pass-through t/io_uring runs 5.01 M IOPS on one core, 200 ns per I/O for the whole path, so ' +
      'dma_direct_map_page (phys_to_dma + dma_capable, no bounce) is a small share; R04: pre-mapping saves only ~4 % of ' +
      'peak IOPS without an IOMMU',
  ),
  dmaDirectUnmap: M(
    15,
    'ns',
    ['R02'],
    'R02: the bound above; dma_direct_unmap_page is a swiotlb check, no sync on coherent x86',
  ),
  dmaDirectSgEntry: A(10, 'ns', 'dma_direct_map_sg loop body: phys_to_dma + dma_capable, no call overhead'),
  swiotlbSlotAlloc: A(250, 'cycles', 'slot search; U11 gives only the bitmap variant delta (+20 cycles)'),
  swiotlbSlotFree: A(200, 'cycles', 'U11: free ≈ 120 cycles cheaper than the old list code; base assumed'),
  swiotlbCopy: F(
    0.05,
    'ns/byte',
    ['R28'],
    'memcpy ≈ 20 GB/s per core: a packet-sized slot is in the LLC (the device just wrote it, or the CPU just filled it); fitted with R28 (10 GB/s cache-cold before)',
  ),
  ktimeGet: A(20, 'ns', 'ktime_get() with TSC clocksource'),
  timingJitterCv: A(0.15, 'ratio', 'run-to-run noise; U03 reports σ ≈ 0.3–0.4 of the mean on SMMUv3'),
  // No per-request virtio-iommu figure is published: the three below were fitted once with R14
  // (David Stevens's VFIO NVMe guest), the one published virtio-iommu measurement.
  viommuRequest: F(
    3_000,
    'ns',
    ['R14'],
    'virtqueue kick (VM exit) + VMM dispatch + VFIO ioctl + completion, set with R14',
  ),
  vfioPinPage: F(150, 'ns', ['R14'], 'pin_user_pages + accounting per 4 KiB page, set with R14'),
  vfioUnpinPage: F(100, 'ns', ['R14'], 'put_page + accounting per page, set with R14'),
} as const;

export const INTEL_ICELAKE_SP: CostProfile = {
  name: 'intel-icelake-sp',
  description: 'Intel Xeon 3rd gen (Ice Lake-SP, e.g. Platinum 8380) with VT-d queued invalidation',
  unit: 'vtd',
  cpuGhz: A(2.3, 'GHz', 'Platinum 8380 base clock'),
  params: {
    iotlbHit: A(5, 'ns', 'IOTLB lookup in the root-complex pipeline'),
    walkMemRead: M(197, 'ns', ['U06'], 'U06: lm = 197 ns per IOMMU memory read (Cascade Lake fit)'),
    pscHit: A(5, 'ns', 'paging-structure cache lookup'),
    contextCacheMiss: M(394, 'ns', ['U06'], 'U06: two memory reads (root + context entry) at lm = 197 ns'),
    dmaBase: M(65, 'ns', ['U06'], 'U06: l0 = 65 ns per 4 KiB without protection'),
    pageWalkers: A(6, 'count', 'no figure for newer parts: the Broadwell value (R30/R34, intel-broadwell-ep)', [
      'R30',
      'R34',
    ]),
    invDescriptor: A(120, 'cycles', '16-byte descriptor write + IQT tail MMIO, amortised'),
    invProcess: A(150, 'ns', 'hardware processing of one descriptor; serialises one IOMMU unit'),
    invWait: M(1963, 'cycles', ['U07'], 'U07: 2548 cycles per QI invalidation minus two descriptors and processing'),
    invTlbiSync: NO_TLBI_SYNC,
    ...LINUX_SOFTWARE,
  },
};

export const AMD_EPYC_MILAN: CostProfile = {
  name: 'amd-epyc-milan',
  description: 'AMD EPYC 3rd gen (Milan, e.g. 7763) with AMD-Vi command buffer and COMPLETION_WAIT',
  unit: 'amd',
  cpuGhz: A(2.45, 'GHz', 'EPYC 7763 base clock'),
  params: {
    iotlbHit: A(5, 'ns', 'IOTLB lookup'),
    walkMemRead: M(
      230,
      'ns',
      ['R34'],
      'R34: IOTLB miss + walk adds 230–300 ns on Intel; AMD assumed at the low end per read (no AMD row)',
    ),
    pscHit: A(5, 'ns', 'PDE cache lookup'),
    contextCacheMiss: A(230, 'ns', 'one DTE read from memory at walkMemRead (R34)', ['R34']),
    dmaBase: M(65, 'ns', ['U06'], 'U06: l0 (Intel fit, no AMD figure published)'),
    pageWalkers: A(6, 'count', 'no AMD figure published: the Intel Broadwell value (R30/R34)', ['R30', 'R34']),
    invDescriptor: A(120, 'cycles', '16-byte command write + tail pointer MMIO'),
    invProcess: A(180, 'ns', 'INVALIDATE_IOMMU_PAGES processing; no published AMD figure'),
    invWait: A(
      2400,
      'cycles',
      'COMPLETION_WAIT round trip; no AMD measurement published, taken near U07 (VT-d 2548 cycles)',
    ),
    invTlbiSync: NO_TLBI_SYNC,
    ...LINUX_SOFTWARE,
  },
};

/**
 * Broadwell-EP (Xeon E5-2630 v4, 2016), the host of pcie-bench's IOMMU measurements (R30, R34):
 * Neugebauer et al., "Understanding PCIe performance for end host networking", SIGCOMM 2018.
 * Same Linux software costs; the device side is what those measurements fix.
 */
export const INTEL_BROADWELL_EP: CostProfile = {
  name: 'intel-broadwell-ep',
  description: 'Intel Xeon E5 v4 (Broadwell-EP, e.g. E5-2630 v4) with VT-d queued invalidation',
  unit: 'vtd',
  cpuGhz: A(2.2, 'GHz', 'E5-2630 v4 base clock'),
  params: {
    ...INTEL_ICELAKE_SP.params,
    walkMemRead: M(
      290,
      'ns',
      ['R34'],
      'R34: an IOTLB miss adds +290 ns to a 64 B read on Broadwell (+231…+297 ns on four Intel generations); ' +
        "one leaf read per miss, the paging-structure caches holding the levels above a 64 MiB window's 32 PTE pages",
    ),
    contextCacheMiss: M(580, 'ns', ['R34'], 'R34: two memory reads (root + context entry) at walkMemRead = 290 ns'),
    pageWalkers: M(
      6,
      'count',
      ['R30', 'R34'],
      'R30 + R34: 19.2 M reads/s with nearly every read missing, each walk 290 ns ⇒ 19.2e6 × 290e-9 ≈ 5.6 walks in flight',
    ),
  },
};

/**
 * NVIDIA Grace (Neoverse V2, LPDDR5X) with an Arm SMMUv3, the host of R01. Invalidation is an
 * SMMU command batch and one CMD_SYNC (smmu/linux-invalidate.ts): U05's CMD_SYNC round trip is the
 * one published SMMUv3 component figure, split below into the CPU's command write, the SMMU's work
 * per command (which serialises the unit) and the CPU's wait. No Grace walk latency or TLB size
 * is published: assumptions, for the lead to calibrate against R01/R08 (docs/smmuv3.md).
 */
export const ARM_NEOVERSE_GRACE: CostProfile = {
  name: 'arm-neoverse-grace',
  description: 'NVIDIA Grace (72 Neoverse V2 cores, LPDDR5X) with Arm SMMUv3: range invalidation, MSI-polled CMD_SYNC',
  unit: 'smmu',
  cpuGhz: A(3.44, 'GHz', "Grace's Neoverse V2 cores run at up to 3.44 GHz (Chips and Cheese, Grace Hopper, 2024)"),
  params: {
    iotlbHit: A(5, 'ns', 'TBU TLB lookup in the root-complex path, as on x86 (no SMMU figure published)'),
    walkMemRead: A(
      150,
      'ns',
      'one TCU table read through the mesh to LPDDR5X; no Grace figure published: below F&S lm = 197 ns (U06) and ' +
        "Broadwell's 290 ns (R34), as Grace is one NUMA-free die whose 114 MB L3 often holds tables the CPU just wrote",
    ),
    pscHit: A(5, 'ns', 'walk-cache lookup'),
    contextCacheMiss: A(450, 'ns', 'configuration fetch: L1STD, STE and CD, three reads at walkMemRead'),
    dmaBase: M(65, 'ns', ['U06'], 'U06: l0 (Intel fit; no Arm figure published)'),
    pageWalkers: A(
      8,
      'count',
      'Arm MMU-600/700 TCUs walk several translations at once (a build-time number); Grace unpublished',
    ),
    invDescriptor: A(
      60,
      'cycles',
      'arm_smmu_cmdq_issue_cmdlist(): a 16-byte command store, the cmpxchg on the shared queue word and the valid map, amortised',
    ),
    invProcess: M(
      200,
      'ns',
      ['U05'],
      'U05: a lone CMD_SYNC takes 240–250 ns with the queue in local memory (550–560 ns remote), mostly the SMMU ' +
        'fetching the command and writing its completion; 200 ns of SMMU time per command, serialised per unit',
    ),
    invWait: M(
      30,
      'ns',
      ['U05'],
      'U05: 245 ns for a lone CMD_SYNC, less its command write (60 cycles) and the SMMU time above: the MSI-polled completion',
    ),
    invTlbiSync: M(
      490,
      'ns',
      ['U12'],
      'U12: a strict iommu_dma_unmap_sg took 1,111 ns on Altra (CPU on the device node); without this cost the ' +
        'model prices the same unmap (software, IOVA free, TLBI + CMD_SYNC at U05) at ≈ 620 ns, so ≈ 490 ns is the ' +
        "CMD_SYNC waiting for the TBUs to drop the TLBI's entries, which U05's empty-queue sync does not measure",
    ),
    ...LINUX_SOFTWARE,
    iommuMapCall: M(
      64,
      'ns',
      ['U01'],
      'U01: iommu_map() 4 KiB ≈ 62–65 ns (x86 kunit; io-pgtable-arm on Neoverse V2 assumed alike)',
    ),
    iommuUnmapCall: M(
      74,
      'ns',
      ['U01'],
      'U01: iommu_unmap() 4 KiB ≈ 71–76 ns (x86 kunit; io-pgtable-arm assumed alike)',
    ),
  },
};

export const COST_PROFILES: readonly CostProfile[] = [
  INTEL_ICELAKE_SP,
  AMD_EPYC_MILAN,
  INTEL_BROADWELL_EP,
  ARM_NEOVERSE_GRACE,
];
export const COST_PROFILE_NAMES: readonly string[] = COST_PROFILES.map((p) => p.name);

export function getCostProfile(name: string): CostProfile {
  const p = COST_PROFILES.find((q) => q.name === name);
  if (!p) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `unknown cost profile '${name}' (known: ${COST_PROFILE_NAMES.join(', ')})`,
      {
        name,
      },
    );
  }
  return p;
}
