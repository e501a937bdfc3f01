// SPDX-License-Identifier: Apache-2.0
// What the Linux IOMMU/DMA layer needs from a hardware driver's paging domain: the model of
// Linux `struct iommu_domain_ops` (map_pages, unmap_pages, iotlb_sync, flush_iotlb_all,
// iova_to_phys). The VT-d and AMD-Vi units implement it; dma-iommu and VFIO call it. Addresses are
// branded (addresses.ts: types only, no runtime cost): an IOVA where Linux has unsigned long iova /
// dma_addr_t, a physical address where it has phys_addr_t — an Hpa for the host kernel's domains, a
// Gpa for a guest's (virtio-iommu) — so a bare number or an IOVA for a PA fails to compile.
// iovaToPhys() returns the same union: the domain does not know which space it maps into; the
// caller who does (dma-iommu: the host kernel's domain) narrows it.

import type { DomainId, Gpa, Hpa, Iova } from '../addresses';
import type { HwCounters } from '../stats/hw-counters';

export interface IommuDomainOps {
  /** Hardware domain id (VT-d DID / AMD DomainID / SMMUv3 ASID or VMID). */
  readonly domainId: DomainId;
  /** Page sizes (log2 bytes) the domain can map, ascending: Linux `pgsize_bitmap`. */
  readonly pageSizesLg2: readonly number[];
  /** One past the largest mappable IOVA (the aperture end, from the address width). */
  readonly apertureEnd: number;
  /**
   * iommu_map(): maps [iova, iova + lengthBytes) to [pa, ...) with PERM_* bits, using the largest
   * page sizes alignment allows. Throws CoreError 'ALREADY_MAPPED' when any page is mapped.
   */
  map(iova: Iova, pa: Hpa | Gpa, lengthBytes: number, perm: number): void;
  /** iommu_unmap_fast(): clears the PTEs (no invalidation); returns bytes unmapped. */
  unmap(iova: Iova, lengthBytes: number): number;
  /** iommu_iotlb_sync(): invalidates [iova, iova + lengthBytes) now and waits (strict path). */
  iotlbSync(iova: Iova, lengthBytes: number): void;
  /** flush_iotlb_all(): domain-wide invalidation and wait (flush-queue path). */
  flushIotlbAll(): void;
  /** iommu_iova_to_phys(): the address `iova` maps to (what map() was given), -1 when not mapped. */
  iovaToPhys(iova: Iova): Hpa | Gpa;
  /**
   * The page-table pages unmap() unlinked since the last flush (the gather's freelist), handed to
   * the caller, who frees them with putPages() once an IOTLB flush covering them has finished —
   * the flush queue keeps them in the entry (queue_iova()). Domains without page tables omit it.
   */
  takeFreelist?(): readonly number[];
  /** iommu_put_pages_list(): frees pages taken with takeFreelist(). */
  putPages?(pages: readonly number[]): void;
  /** Event counters of the unit this domain lives on (read by the cost model). */
  readonly counters: HwCounters;
  /** Page-table pages this domain currently holds. */
  readonly tablePages: number;
}
