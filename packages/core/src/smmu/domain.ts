// SPDX-License-Identifier: Apache-2.0
// An SMMUv3 paging domain (Linux struct arm_smmu_domain): an io-pgtable-arm table of the kernel's
// page size, tagged by an ASID (stage 1, the default when the SMMU has stage 1) or a VMID
// (stage 2), with Linux's invalidation: iotlb_sync -> arm_smmu_iotlb_sync() ->
// arm_smmu_tlb_inv_range_domain() for the gathered range and page size; flush_iotlb_all ->
// arm_smmu_tlb_inv_context(). When an unmap removes a whole table, io-pgtable-arm's
// __arm_lpae_unmap() flushes the walk caches at once (tlb_flush_walk, Leaf = 0, with its CMD_SYNC)
// before freeing it, in strict and lazy mode alike.
//
// Model departures: the gather's page size is that of the range's first leaf (Linux syncs and
// restarts a gather whose page sizes differ; dma-iommu unmaps one size at a time). The walk flush
// inside unmap is executed and counted but, as dma-iommu's cookie prices invalidations only in
// iotlb_sync and flush_iotlb_all, it is not priced there (it happens only for unmaps that cover a
// whole table: 2 MiB and up with 4 KiB pages).

import type { DomainId } from '../addresses';
import type { IommuDomainOps } from '../iommu/domain-ops';
import { PageTableDomain } from '../iommu/page-table-domain';
import type { PhysMemory } from '../memory/phys-memory';
import { newWalkOut, type PageTableFormat, WALK_OK } from '../page-table/format';
import { walk } from '../page-table/walk';
import type { HwCounters } from '../stats/hw-counters';
import { type InvDomain, type InvSmmu, tlbInvContext, tlbInvRangeDomain } from './linux-invalidate';

/** What a domain needs from its SMMU. */
export interface DomainHost extends InvSmmu {
  readonly counters: HwCounters;
  readonly mem: PhysMemory;
}

export class SmmuDomain extends PageTableDomain implements IommuDomainOps, InvDomain {
  readonly granuleLg2: number;
  /** StreamIDs attached (those with ATS enabled are in atsDevices too). */
  readonly devices = new Set<number>();
  /** The page size (log2) of the last unmap's first leaf: Linux's iommu_iotlb_gather pgsize. */
  private gatherLg2: number;
  private readonly w = newWalkOut();

  constructor(
    override readonly unit: DomainHost,
    readonly fmt: PageTableFormat,
    readonly stage: 1 | 2,
    /** The ASID (stage 1) or VMID (stage 2). */
    domainId: DomainId,
    kind: 'dma' | 'unmanaged',
  ) {
    // domain->geometry.aperture_end = (1UL << pgtbl_cfg.ias) - 1; the page sizes are io-pgtable's.
    super(unit, fmt, domainId, kind, 2 ** Math.min(fmt.inputWidth, 52));
    this.granuleLg2 = fmt.granuleLg2;
    this.gatherLg2 = fmt.granuleLg2;
  }

  get asid(): number {
    return this.stage === 1 ? this.domainId : 0;
  }
  get vmid(): number {
    return this.stage === 2 ? this.domainId : 0;
  }
  map(iova: number, pa: number, lengthBytes: number, perm: number): void {
    this.pt.map(iova, pa, lengthBytes, perm);
    if (this.pt.lastReplacedTablePages > 0) {
      // arm_lpae_init_pte(): a block over an (emptied) table unmaps the table first —
      // __arm_lpae_unmap() -> io_pgtable_tlb_flush_walk() (Leaf = 0) and sync — then frees it.
      tlbInvRangeDomain(this.unit, this, iova, lengthBytes, this.granuleLg2, false);
      this.pt.releaseFreed();
    }
  }

  unmap(iova: number, lengthBytes: number): number {
    walk(this.unit.mem, this.fmt, this.pt.rootPa, iova, 0, this.w);
    this.gatherLg2 = this.w.status === WALK_OK ? this.w.sizeLg2 : this.granuleLg2;
    const n = this.pt.unmap(iova, lengthBytes);
    if (this.pt.lastFreedTablePages > 0) {
      // __arm_lpae_unmap(): a table entry cleared -> io_pgtable_tlb_flush_walk() (Leaf = 0) and sync, then free.
      tlbInvRangeDomain(this.unit, this, iova, n, this.granuleLg2, false);
      this.pt.releaseFreed();
    }
    return n;
  }

  /** arm_smmu_iotlb_sync(): the gathered range, leaf invalidation at the gathered page size. */
  iotlbSync(iova: number, lengthBytes: number): void {
    tlbInvRangeDomain(this.unit, this, iova, lengthBytes, this.gatherLg2, true);
    this.pt.releaseFreed();
  }

  /** arm_smmu_flush_iotlb_all() -> arm_smmu_tlb_inv_context(). */
  flushIotlbAll(): void {
    tlbInvContext(this.unit, this);
    this.pt.releaseFreed();
  }
}
