// SPDX-License-Identifier: Apache-2.0
// A VT-d paging domain: a second-stage page table and a domain id (DID), with Linux's
// invalidation paths (drivers/iommu/intel/cache.c): cache_tag_flush_range() for a range — a
// page-selective invalidation whose address and mask come from calculate_psi_aligned_address(),
// widened until the naturally aligned block covers the whole range, falling back to
// domain-selective when CAP.PSI is 0 or the mask exceeds CAP.MAMV — plus device-TLB invalidations
// of the same block for ATS devices; cache_tag_flush_all() is domain-selective. Each goes through
// qi_submit_sync() with a wait descriptor.

import type { DomainId } from '../addresses';
import type { IommuDomainOps } from '../iommu/domain-ops';
import { FreelistDomain } from '../iommu/page-table-domain';
import type { PhysMemory } from '../memory/phys-memory';
import type { PageTableFormat } from '../page-table/format';
import type { HwCounters } from '../stats/hw-counters';
import { devIotlbDesc, iotlbDesc, QI_GRAN_DOMAIN, QI_GRAN_PAGE } from './invalidation';
import type { VtdParams } from './registers';

/** MAX_AGAW_PFN_WIDTH (iommu.h): 64 - VTD_PAGE_SHIFT, the mask that covers every address. */
export const MAX_AGAW_PFN_WIDTH = 52;

/**
 * Linux calculate_psi_aligned_address() (drivers/iommu/intel/cache.c): the 4 KiB-page address and
 * address mask (AM) of the smallest naturally aligned block of 2^mask pages that contains every
 * page of [start, end] (end inclusive). PSI invalidates the block of 2^AM pages that contains ADDR
 * (spec rev 4.1 §6.5.2.3), so a range that straddles an alignment boundary needs a larger mask
 * than ilog2(roundup_pow_of_two(pages)): 0x3000..0x4fff is 2 pages but needs the 8-page block at 0.
 */
export function calculatePsiAlignedAddress(start: number, end: number): { addr: number; mask: number; pages: number } {
  const pfn = Math.floor(start / 4096);
  const endPfn = Math.floor(end / 4096);
  const pages = endPfn - pfn + 1; // aligned_nrpages(start, end - start + 1)
  let mask = pages <= 1 ? 0 : Math.ceil(Math.log2(pages)); // ilog2(__roundup_pow_of_two(pages))
  // The lowest bit at or above `mask` where pfn and end_pfn agree (__ffs(shared_bits)): every
  // higher bit agrees too, since end_pfn - pfn < 2^mask differs from pfn only by a carry.
  while (mask < MAX_AGAW_PFN_WIDTH && Math.floor(pfn / 2 ** mask) !== Math.floor(endPfn / 2 ** mask)) mask++;
  return { addr: Math.floor(pfn / 2 ** mask) * 2 ** mask * 4096, mask, pages: 2 ** mask };
}

/**
 * What a VT-d domain needs of its unit (VtdUnit implements it): the memory its tables live in, the
 * second-stage format, the counters, the caching-mode and MAMV capabilities, and the invalidation
 * queue (submitSync). An interface, so the domain does not import the unit that imports it.
 */
export interface VtdDomainHost {
  readonly mem: PhysMemory;
  readonly format: PageTableFormat;
  readonly counters: HwCounters;
  readonly pageSizesLg2: readonly number[];
  readonly params: Pick<VtdParams, 'addressWidth' | 'cachingMode' | 'mamv'>;
  /** Queues the descriptors on the invalidation queue and waits for them (an invalidation-wait). */
  submitSync(descs: readonly bigint[]): void;
}

export class VtdDomain extends FreelistDomain implements IommuDomainOps {
  /**
   * The iotlb gather (struct iommu_iotlb_gather): the span of what unmap() removed since the last
   * flush. A range ending inside a superpage removes the whole leaf, so the flush must cover it.
   */
  private gatherStart = Number.POSITIVE_INFINITY;
  private gatherEnd = 0;

  constructor(
    override readonly unit: VtdDomainHost,
    domainId: DomainId,
    kind: 'dma' | 'unmanaged',
  ) {
    super(unit, unit.format, domainId, kind, 2 ** unit.params.addressWidth, unit.pageSizesLg2);
  }

  map(iova: number, pa: number, lengthBytes: number, perm: number): void {
    this.pt.map(iova, pa, lengthBytes, perm);
    // Caching mode: not-present entries may be cached, so a map needs a flush too
    // (intel_iommu_iotlb_sync_map -> cache_tag_flush_range_np() when CAP.CM=1). A superpage that
    // replaced emptied lower tables is flushed before they are freed (switch_to_super_page()).
    if (this.unit.params.cachingMode || this.pt.lastReplacedTablePages > 0) this.iotlbSync(iova, lengthBytes);
  }

  unmap(iova: number, lengthBytes: number): number {
    const removed = this.pt.unmap(iova, lengthBytes);
    if (removed > 0) {
      this.gatherStart = Math.min(this.gatherStart, iova);
      this.gatherEnd = Math.max(this.gatherEnd, iova + removed);
    }
    return removed;
  }

  /** intel_iommu_tlb_sync() -> cache_tag_flush_range(): IOTLB + device-TLB flush, one submission. */
  iotlbSync(iova: number, lengthBytes: number): void {
    const start = Math.min(iova, this.gatherStart);
    const end = Math.max(iova + lengthBytes, this.gatherEnd) - 1;
    this.resetGather();
    const { addr, mask } = calculatePsiAlignedAddress(start, end);
    const descs: bigint[] = [];
    // Fall back to domain-selective when the mask is past CAP.MAMV (the model's CAP.PSI is 1).
    if (mask > this.unit.params.mamv) descs.push(iotlbDesc(QI_GRAN_DOMAIN, this.domainId));
    else descs.push(iotlbDesc(QI_GRAN_PAGE, this.domainId, addr, mask));
    // CACHE_TAG_DEVTLB: qi_flush_dev_iotlb() with the same block, whatever the IOTLB granularity.
    for (const sid of this.atsDevices) descs.push(devIotlbDesc(sid, 32, addr, mask));
    this.unit.submitSync(descs);
    this.pt.releaseFreed();
  }

  /** cache_tag_flush_all(): domain-selective IOTLB flush and whole device-TLBs. */
  flushIotlbAll(): void {
    this.resetGather();
    const descs = [iotlbDesc(QI_GRAN_DOMAIN, this.domainId)];
    for (const sid of this.atsDevices) descs.push(devIotlbDesc(sid, 32, 0, MAX_AGAW_PFN_WIDTH));
    this.unit.submitSync(descs);
    this.pt.releaseFreed();
  }

  private resetGather(): void {
    this.gatherStart = Number.POSITIVE_INFINITY;
    this.gatherEnd = 0;
  }
}
