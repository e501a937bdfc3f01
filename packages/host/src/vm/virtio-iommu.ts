// SPDX-License-Identifier: Apache-2.0
// A guest's virtio-iommu in front of a device assigned through VFIO: the guest kernel's DMA
// domain as drivers/iommu/virtio-iommu.c drives it, and the VMM's side (QEMU
// hw/virtio/virtio-iommu.c with a VFIO container). The guest has no I/O page table of its own:
// - viommu_map() sends one VIRTIO_IOMMU_T_MAP request per call (iommu_map_sg() calls it per
//   segment) and waits for it (viommu_send_req_sync()); the VMM turns it into VFIO_IOMMU_MAP_DMA,
//   which pins the guest pages and maps guest IOVA -> host physical into the host's UNMANAGED
//   domain: the device's DMA then goes through the host unit with guest IOVAs (shadow mapping).
// - viommu_unmap_pages() drops the range from the guest's mapping tree and queues one
//   VIRTIO_IOMMU_T_UNMAP on the request virtqueue (viommu_add_req(), no wait); viommu_iotlb_sync()
//   and viommu_flush_iotlb_all() kick the queue and wait for every queued request
//   (viommu_sync_req()). The VMM's VFIO_IOMMU_UNMAP_DMA unmaps, invalidates the host IOTLB
//   synchronously (vfio_unmap_unpin()) and unpins; until then the device still reaches the pages.
//   In a strict guest dma-iommu syncs after every unmap (one round trip each). In a lazy one
//   (`viommu-lazy`: IOMMU_CAP_DEFERRED_FLUSH, which virtio-iommu reports since Linux 6.7, and
//   iommu.strict=0 in the guest) the flush queue syncs once per flush, so one round trip covers
//   every unmap queued since. Simplification: the VMM's per-request dispatch is folded into the
//   one round trip a sync costs (viommuRequest), the host's work is charged per request.
// The vCPU that maps waits for the whole round trip, so all of it is charged to that vCPU: the
// request (VM exit on the virtqueue kick, the VMM's dispatch and ioctl, the used-ring completion
// back in the guest: the host profile's viommuRequest), the pinning, and the host's page-table and invalidation work
// priced by the host's cost model from the host unit's counters.

import { CoreError, type DomainId, type Gpa, type Iova } from '@iofleet/core';
import { COST_INVALIDATION, COST_PAGE_TABLE, COST_SOFTWARE, HwSnapshot, newInvalidationCost } from '@iofleet/core/cost';
import { HwCounters, type IommuDomainOps, PERM_WRITE } from '@iofleet/core/hardware';
import { type DmaSim, VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, type VfioContainer } from '@iofleet/core/linux';

/** The guest's view of a virtio-iommu domain over one host VFIO container. */
export class VirtioIommuDomain implements IommuDomainOps {
  readonly domainId: DomainId;
  readonly pageSizesLg2: readonly number[];
  readonly apertureEnd: number;
  /** The guest side keeps no hardware counters: no PTEs, no IOTLB of its own. */
  readonly counters = new HwCounters();
  readonly tablePages = 0;
  /** Guest IOVA page -> GPA of the page (what the VMM's mapping tree holds). */
  private readonly pages = new Map<number, number>();
  private readonly snap = new HwSnapshot();
  private readonly inv = newInvalidationCost();
  requests = 0;
  /** Round trips: synchronous MAPs and syncs of queued UNMAPs (viommu_sync_req()). */
  roundTrips = 0;
  /** UNMAP requests queued and not yet processed by the VMM: [iova, bytes]. */
  private readonly pending: Array<[Iova, number]> = [];

  constructor(
    private readonly guest: DmaSim,
    private readonly container: VfioContainer,
    /** The host's UNMANAGED domain behind the container, and the host's cost model. */
    private readonly host: { domain: IommuDomainOps; sim: DmaSim },
  ) {
    this.domainId = host.domain.domainId;
    // QEMU reports the host IOMMU's page sizes in the virtio-iommu config (page_size_mask).
    this.pageSizesLg2 = host.domain.pageSizesLg2;
    this.apertureEnd = host.domain.apertureEnd;
  }

  private charge(category: number, ns: number): void {
    this.guest.cost.charge(this.guest.cpus.current, category, ns);
  }

  map(iova: Iova, gpa: Gpa, lengthBytes: number, perm: number): void {
    for (let off = 0; off < lengthBytes; off += 4096)
      if (this.pages.has((iova + off) / 4096))
        throw new CoreError('ALREADY_MAPPED', `virtio-iommu: iova 0x${(iova + off).toString(16)} is mapped`);
    const hc = this.host.domain.counters;
    this.snap.take(hc);
    const flags = VFIO_DMA_MAP_FLAG_READ | (perm & PERM_WRITE ? VFIO_DMA_MAP_FLAG_WRITE : 0);
    this.container.mapDma(gpa, iova, lengthBytes, flags);
    for (let off = 0; off < lengthBytes; off += 4096) this.pages.set((iova + off) / 4096, gpa + off);
    this.requests++;
    this.roundTrips++;
    const host = this.host.sim.cost;
    this.charge(COST_SOFTWARE, host.ns.viommuRequest + (lengthBytes / 4096) * host.ns.vfioPinPage);
    this.charge(COST_PAGE_TABLE, host.ns.iommuMapCall + host.pageTableNs(this.snap, hc));
  }

  /** viommu_unmap_pages(): the guest's tree loses the range now; the UNMAP request is queued. */
  unmap(iova: Iova, lengthBytes: number): number {
    let done = 0;
    while (done < lengthBytes && this.pages.delete((iova + done) / 4096)) done += 4096;
    if (done === 0) return 0;
    this.pending.push([iova, done]);
    this.requests++;
    return done;
  }

  /** viommu_sync_req(): kick, and wait while the VMM runs every queued UNMAP. */
  private sync(): void {
    if (!this.pending.length) return;
    this.roundTrips++;
    const host = this.host.sim.cost;
    this.charge(COST_SOFTWARE, host.ns.viommuRequest);
    const hc = this.host.domain.counters;
    for (const [iova, bytes] of this.pending) {
      this.snap.take(hc);
      const done = this.container.unmapDma(iova, bytes);
      this.charge(COST_SOFTWARE, (done / 4096) * host.ns.vfioUnpinPage);
      this.charge(COST_PAGE_TABLE, host.ns.iommuUnmapCall + host.pageTableNs(this.snap, hc));
      const inv = host.invalidationNs(this.snap, hc, this.inv);
      this.charge(COST_INVALIDATION, inv.submitNs + inv.processNs + inv.waitNs);
    }
    this.pending.length = 0;
  }

  /** viommu_iotlb_sync(): sends the queued UNMAPs and waits (strict: after every unmap). */
  iotlbSync(): void {
    this.sync();
  }

  /** viommu_flush_iotlb_all(): the same, once per flush-queue flush (lazy). */
  flushIotlbAll(): void {
    this.sync();
  }

  /** The guest physical address `iova` maps to, -1 when not mapped. */
  iovaToPhys(iova: number): Gpa {
    const gpa = this.pages.get(Math.floor(iova / 4096));
    return (gpa === undefined ? -1 : gpa + (iova % 4096)) as Gpa;
  }
}
