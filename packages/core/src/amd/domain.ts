// SPDX-License-Identifier: Apache-2.0
// An AMD-Vi protection domain: a v1 I/O page table and a 16-bit DomainID, with Linux's
// invalidation: INVALIDATE_IOMMU_PAGES (PDE=1, range per build_inv_address()) plus
// INVALIDATE_IOTLB_PAGES for ATS devices, then COMPLETION_WAIT (amd_iommu_domain_flush_pages()).

import type { DomainId, PhysAddr } from '../addresses';
import type { IommuDomainOps } from '../iommu/domain-ops';
import type { PhysMemory } from '../memory/phys-memory';
import type { PageTableFormat } from '../page-table/format';
import { PageTable } from '../page-table/page-table';
import type { HwCounters } from '../stats/hw-counters';
import { invIommuAllPages, invIommuPages, invIotlbPages } from './commands';

/**
 * What a domain needs of the AMD-Vi unit it lives on (the unit implements it): its memory, its
 * page-table format and the command buffer. An interface, not the unit class, so that the unit
 * may import the domain without the domain importing the unit (no import loop), as
 * struct protection_domain reaches its amd_iommu only through the ops it calls.
 */
export interface AmdDomainHost {
  readonly mem: PhysMemory;
  readonly format: PageTableFormat;
  readonly counters: HwCounters;
  readonly pageSizesLg2: readonly number[];
  /** Queues the commands on the command buffer and waits for them (COMPLETION_WAIT). */
  submit(cmds: readonly bigint[]): void;
}

export class AmdViDomain implements IommuDomainOps {
  readonly pt: PageTable;
  readonly pageSizesLg2: readonly number[];
  readonly apertureEnd: number;
  readonly atsDevices = new Set<number>();

  constructor(
    readonly unit: AmdDomainHost,
    readonly domainId: DomainId,
    readonly kind: 'dma' | 'unmanaged',
  ) {
    this.pt = new PageTable(unit.mem, unit.format, unit.counters, 'covered');
    this.pageSizesLg2 = unit.pageSizesLg2;
    this.apertureEnd = 2 ** Math.min(unit.format.inputWidth, 52);
  }

  get counters(): HwCounters {
    return this.unit.counters;
  }
  get tablePages(): number {
    return this.pt.tablePages;
  }
  map(iova: number, pa: number, lengthBytes: number, perm: number): void {
    this.pt.map(iova, pa, lengthBytes, perm);
    // A large page that replaced emptied lower tables: flush (PDE=1) before the tables are freed,
    // as iommu_v1_map_pages() does after free_clear_pte() (drivers/iommu/amd/io_pgtable.c).
    if (this.pt.lastReplacedTablePages > 0) this.iotlbSync(iova, lengthBytes);
  }
  unmap(iova: number, lengthBytes: number): number {
    return this.pt.unmap(iova, lengthBytes);
  }
  /** The page table holds what map() was given: a PhysAddr as a number. */
  iovaToPhys(iova: number): PhysAddr {
    return this.pt.iovaToPhys(iova) as PhysAddr;
  }
  /** The page-table pages unmaps freed, handed to their new owner (the gather's freelist). */
  takeFreelist(): readonly number[] {
    return this.pt.takeFreelist();
  }
  /** iommu_put_pages_list(): frees pages taken with takeFreelist() once a flush covered them. */
  putPages(pages: readonly number[]): void {
    this.pt.putPages(pages);
  }
  iotlbSync(iova: number, lengthBytes: number): void {
    const cmds = [invIommuPages(this.domainId, iova, lengthBytes)];
    for (const dev of this.atsDevices) cmds.push(invIotlbPages(dev, 32, iova, lengthBytes));
    this.unit.submit(cmds);
    this.pt.releaseFreed();
  }
  flushIotlbAll(): void {
    const cmds = [invIommuAllPages(this.domainId)];
    for (const dev of this.atsDevices) cmds.push(invIotlbPages(dev, 32, 0, 2 ** 52));
    this.unit.submit(cmds);
    this.pt.releaseFreed();
  }
}
