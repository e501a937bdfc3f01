// SPDX-License-Identifier: Apache-2.0
// A VT-d paging domain: a second-stage page table and a domain id (DID), with Linux's
// invalidation paths: iommu_flush_iotlb_psi() for a range (page-selective with address mask
// AM = ilog2(roundup_pow_of_two(pages)), falling back to domain-selective when CAP.PSI is 0 or the
// mask exceeds CAP.MAMV), plus device-TLB invalidations for ATS devices; flush_iotlb_all is
// domain-selective. Each goes through qi_submit_sync() with a wait descriptor.

import type { IommuDomainOps } from '../iommu/domain-ops';
import { PageTable } from '../page-table/page-table';
import type { HwCounters } from '../stats/hw-counters';
import { devIotlbDesc, iotlbDesc, QI_GRAN_DOMAIN, QI_GRAN_PAGE } from './invalidation';
import type { VtdUnit } from './unit';

function ilog2RoundupPow2(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}

export class VtdDomain implements IommuDomainOps {
  readonly pt: PageTable;
  readonly pageSizesLg2: readonly number[];
  readonly apertureEnd: number;
  /** Devices (source ids) attached with ATS enabled: their device-TLBs are invalidated too. */
  readonly atsDevices = new Set<number>();

  constructor(
    readonly unit: VtdUnit,
    readonly domainId: number,
    readonly kind: 'dma' | 'unmanaged',
  ) {
    this.pt = new PageTable(unit.mem, unit.format, unit.counters, 'covered');
    this.pageSizesLg2 = unit.pageSizesLg2;
    this.apertureEnd = 2 ** unit.params.addressWidth;
  }

  get counters(): HwCounters {
    return this.unit.counters;
  }
  get tablePages(): number {
    return this.pt.tablePages;
  }

  map(iova: number, pa: number, lengthBytes: number, perm: number): void {
    this.pt.map(iova, pa, lengthBytes, perm);
    // Caching mode: not-present entries may be cached, so a map needs a flush too
    // (intel_iommu_iotlb_sync_map -> iommu_flush_iotlb_psi with ih=0 when CM=1).
    if (this.unit.params.cachingMode) this.iotlbSync(iova, lengthBytes);
  }

  unmap(iova: number, lengthBytes: number): number {
    return this.pt.unmap(iova, lengthBytes);
  }

  iovaToPhys(iova: number): number {
    return this.pt.iovaToPhys(iova);
  }

  /** iommu_flush_iotlb_psi() + device-TLB flushes, one synchronous queue submission. */
  iotlbSync(iova: number, lengthBytes: number): void {
    const first = Math.floor(iova / 4096);
    const pages = Math.ceil((iova + lengthBytes) / 4096) - first;
    const mask = ilog2RoundupPow2(pages);
    const descs: bigint[] = [];
    if (mask > this.unit.params.mamv) {
      descs.push(iotlbDesc(QI_GRAN_DOMAIN, this.domainId));
    } else {
      const aligned = Math.floor(first / 2 ** mask) * 2 ** mask * 4096;
      descs.push(iotlbDesc(QI_GRAN_PAGE, this.domainId, aligned, mask));
      for (const sid of this.atsDevices) descs.push(devIotlbDesc(sid, 32, aligned, mask));
    }
    this.unit.submitSync(descs);
    this.pt.releaseFreed();
  }

  flushIotlbAll(): void {
    const descs = [iotlbDesc(QI_GRAN_DOMAIN, this.domainId)];
    for (const sid of this.atsDevices) descs.push(devIotlbDesc(sid, 32, 0x7fff_ffff_f000, 52 - 12));
    this.unit.submitSync(descs);
    this.pt.releaseFreed();
  }
}
