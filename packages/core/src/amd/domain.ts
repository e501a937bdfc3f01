// SPDX-License-Identifier: Apache-2.0
// An AMD-Vi protection domain: a v1 I/O page table and a 16-bit DomainID, with Linux's
// invalidation: INVALIDATE_IOMMU_PAGES (PDE=1, range per build_inv_address()) plus
// INVALIDATE_IOTLB_PAGES for ATS devices, then COMPLETION_WAIT (amd_iommu_domain_flush_pages()).

import type { DomainId } from '../addresses';
import type { IommuDomainOps } from '../iommu/domain-ops';
import { FreelistDomain } from '../iommu/page-table-domain';
import type { PhysMemory } from '../memory/phys-memory';
import type { PageTableFormat } from '../page-table/format';
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

export class AmdViDomain extends FreelistDomain implements IommuDomainOps {
  constructor(
    override readonly unit: AmdDomainHost,
    domainId: DomainId,
    kind: 'dma' | 'unmanaged',
  ) {
    super(unit, unit.format, domainId, kind, 2 ** Math.min(unit.format.inputWidth, 52), unit.pageSizesLg2);
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
