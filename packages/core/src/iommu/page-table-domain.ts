// SPDX-License-Identifier: Apache-2.0
// What the VT-d, AMD-Vi and SMMUv3 paging domains share, written once: the page table in the
// unit's memory (Linux: the domain's io-pgtable / pt_iommu), its counters, its size and
// iova_to_phys(). Each domain adds its hardware tag and its invalidation (iotlb_sync,
// flush_iotlb_all); those that hand freed table pages to the flush queue (VT-d and AMD-Vi, as
// Linux's iommu_pages_list in the gather) extend FreelistDomain.

import type { DomainId, PhysAddr } from '../addresses';
import type { PhysMemory } from '../memory/phys-memory';
import type { PageTableFormat } from '../page-table/format';
import { PageTable } from '../page-table/page-table';
import type { HwCounters } from '../stats/hw-counters';

/** What every paging domain needs of its unit. */
export interface PagingUnit {
  readonly mem: PhysMemory;
  readonly counters: HwCounters;
}

export abstract class PageTableDomain {
  readonly pt: PageTable;
  /** Page sizes (log2 bytes) the domain maps: the unit's advertised sizes, else its format's. */
  readonly pageSizesLg2: readonly number[];
  /** Devices (requester or stream ids) attached with ATS: their device-TLBs / ATCs are invalidated too. */
  readonly atsDevices = new Set<number>();

  constructor(
    readonly unit: PagingUnit,
    fmt: PageTableFormat,
    /** The hardware tag: VT-d DID, AMD-Vi DomainID, SMMUv3 ASID (stage 1) or VMID (stage 2). */
    readonly domainId: DomainId,
    readonly kind: 'dma' | 'unmanaged',
    /** One past the largest mappable IOVA (Linux: domain->geometry.aperture_end + 1). */
    readonly apertureEnd: number,
    pageSizesLg2?: readonly number[],
  ) {
    this.pt = new PageTable(unit.mem, fmt, unit.counters, 'covered');
    this.pageSizesLg2 = pageSizesLg2 ?? this.pt.pageSizesLg2;
  }

  /** Event counters of the unit this domain lives on (read by the cost model). */
  get counters(): HwCounters {
    return this.unit.counters;
  }
  /** Page-table pages this domain currently holds. */
  get tablePages(): number {
    return this.pt.tablePages;
  }
  /** iommu_iova_to_phys(): the page table holds what map() was given, a PhysAddr, as a number. */
  iovaToPhys(iova: number): PhysAddr {
    return this.pt.iovaToPhys(iova) as PhysAddr;
  }
}

/** A domain whose unmaps hand freed table pages to the caller (the gather's freelist). */
export abstract class FreelistDomain extends PageTableDomain {
  /** The page-table pages unmaps freed, handed to their new owner (the gather's freelist). */
  takeFreelist(): readonly number[] {
    return this.pt.takeFreelist();
  }
  /** iommu_put_pages_list(): frees pages taken with takeFreelist() once a flush covered them. */
  putPages(pages: readonly number[]): void {
    this.pt.putPages(pages);
  }
}
