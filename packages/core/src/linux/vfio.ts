// SPDX-License-Identifier: Apache-2.0
// VFIO with the type1 IOMMU backend (drivers/vfio/group.c, container.c, vfio_iommu_type1.c):
// a group is viable only when every device in it is bound to vfio-pci or to no driver (bridges
// and ports bound to pcieport count as driver-managed DMA and are allowed); a viable group joins a
// container; the container's MAP_DMA pins guest pages and maps them, iova -> host physical, into
// the UNMANAGED domain of each group it holds, refusing IOVAs outside the usable ranges (the
// aperture minus reserved regions such as the x86 MSI window). UNMAP_DMA unmaps and flushes each
// mapping before unpinning (vfio_unmap_unpin(): iommu_unmap_fast() + iommu_iotlb_sync()). Errors
// are typed, with Linux's (and QEMU's) words.

import { errorBrand } from '@iofleet/errors';
import type { Hpa, Iova } from '../addresses';
import { X86_MSI_RESERVED } from '../dma/iommu-dma-cookie';
import { CoreError, type ErrorDetails } from '../errors';
import type { IommuDomainOps } from '../iommu/domain-ops';
import { PERM_READ, PERM_WRITE } from '../page-table/format';

/** vfio_iommu_type1 module parameter dma_entry_limit (default U16_MAX). */
export const DMA_ENTRY_LIMIT = 65535;
export const VFIO_DMA_MAP_FLAG_READ = 1 << 0;
export const VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;

export type VfioErrorCode =
  | 'GROUP_NOT_VIABLE'
  | 'RMRR'
  | 'EINVAL'
  | 'EEXIST'
  | 'ENOSPC'
  | 'ENOMEM'
  | 'EBUSY'
  | 'ENOENT';

const VFIO_ERROR = errorBrand<VfioError>('@iofleet/core/VfioError');
/** A VFIO ioctl's failure, by the errno (or condition) the kernel returns; a CoreError of the matching code. */
export class VfioError extends CoreError {
  readonly [VFIO_ERROR.symbol] = true;
  override readonly name = 'VfioError';
  constructor(
    readonly vfioCode: VfioErrorCode,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(vfioCode === 'ENOMEM' || vfioCode === 'ENOSPC' ? 'LIMIT_EXCEEDED' : 'INVALID_STATE', message, details);
  }
}
export const isVfioError = VFIO_ERROR.is;

export interface VfioDevice {
  /** "0000:01:00.0" */
  name: string;
  /** Bound driver: 'vfio-pci', 'pcieport', a host driver name, or null (no driver). */
  driver: string | null;
  /** A bridge or port (not assignable itself, does not break viability when bound to pcieport). */
  bridge: boolean;
  /** The device has a non-relaxable RMRR (Intel) / IVMD unity map: no VFIO domain attach. */
  rmrr?: boolean;
}

export interface VfioGroupInfo {
  id: number;
  devices: readonly VfioDevice[];
}

/** Drivers that manage DMA safely for the group (driver_managed_dma), besides vfio-pci. */
const SAFE_DRIVERS = new Set(['vfio-pci', 'pci-stub', 'pcieport']);

/** The first device that makes the group not viable, or undefined when it is viable. */
export function groupViabilityBlocker(g: VfioGroupInfo): VfioDevice | undefined {
  return g.devices.find((d) => d.driver !== null && !SAFE_DRIVERS.has(d.driver));
}

/** Throws the error QEMU shows for a non-viable group ("vfio ...: group N is not viable"). */
export function checkViable(g: VfioGroupInfo, requester: string): void {
  const bad = groupViabilityBlocker(g);
  if (bad) {
    throw new VfioError(
      'GROUP_NOT_VIABLE',
      `vfio ${requester}: group ${g.id} is not viable\nPlease ensure all devices within the iommu_group are bound to their vfio bus driver.`,
      { group: g.id, blockingDevice: bad.name, driver: bad.driver ?? '' },
    );
  }
  const rmrr = g.devices.find((d) => d.rmrr && !d.bridge);
  if (rmrr) {
    throw new VfioError(
      'RMRR',
      `${rmrr.name}: Device is ineligible for IOMMU domain attach due to platform RMRR requirement.  Contact your platform vendor.`,
      { group: g.id, device: rmrr.name },
    );
  }
}

interface DmaRange {
  iova: Iova;
  size: number;
  vaddr: number;
}

/** A VFIO container with the type1 backend: groups sharing one set of page tables. */
export class VfioContainer {
  readonly groups: VfioGroupInfo[] = [];
  private readonly ranges: DmaRange[] = [];
  private pinned = 0;
  /**
   * The usable IOVA ranges, inclusive (iommu->iova_list, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE):
   * the domain's aperture minus the groups' reserved regions (vfio_iommu_aper_expand(),
   * vfio_iommu_resv_exclude()).
   */
  readonly iovaRanges: readonly (readonly [number, number])[];

  /**
   * @param domain the UNMANAGED domain the container maps into (one domain for all its groups here)
   * @param translateVaddr user virtual address -> host physical (the guest RAM's backing)
   * @param memlockLimitBytes RLIMIT_MEMLOCK for pinned pages
   * @param reservedRegions the groups' reserved regions, inclusive [start, end]
   *   (iommu_get_group_resv_regions(); default the x86 MSI window, IOMMU_RESV_MSI, which every
   *   x86 group has; RMRRs that are not relaxable add IOMMU_RESV_DIRECT regions)
   */
  constructor(
    readonly domain: IommuDomainOps,
    private readonly translateVaddr: (vaddr: number) => number,
    readonly memlockLimitBytes = Number.MAX_SAFE_INTEGER,
    reservedRegions: readonly (readonly [number, number])[] = [X86_MSI_RESERVED],
  ) {
    let ranges: [number, number][] = [[0, domain.apertureEnd - 1]];
    for (const [lo, hi] of reservedRegions)
      ranges = ranges.flatMap(([a, b]): [number, number][] =>
        hi < a || lo > b
          ? [[a, b]]
          : [
              ...(a < lo ? [[a, lo - 1] as [number, number]] : []),
              ...(hi < b ? [[hi + 1, b] as [number, number]] : []),
            ],
      );
    this.iovaRanges = ranges;
  }

  get pinnedBytes(): number {
    return this.pinned;
  }

  /** VFIO_GROUP_SET_CONTAINER: only viable groups; a group belongs to one container. */
  addGroup(g: VfioGroupInfo, requester = g.devices[0]?.name ?? `group ${g.id}`): void {
    checkViable(g, requester);
    if (this.groups.some((x) => x.id === g.id))
      throw new VfioError('EBUSY', `group ${g.id} is already in this container`);
    this.groups.push(g);
  }

  removeGroup(id: number): void {
    const i = this.groups.findIndex((g) => g.id === id);
    if (i < 0) throw new VfioError('ENOENT', `group ${id} is not in this container`);
    this.groups.splice(i, 1);
    if (this.groups.length === 0) this.unmapDma(0 as Iova, 0, true);
  }

  /** VFIO_IOMMU_MAP_DMA: pins [vaddr, vaddr+size) and maps it at iova (4 KiB granularity). */
  mapDma(vaddr: number, iova: Iova, size: number, flags: number): void {
    if (this.groups.length === 0) throw new VfioError('EINVAL', 'no group attached: VFIO_SET_IOMMU first');
    if (size === 0 || size % 4096 || iova % 4096 || vaddr % 4096) {
      throw new VfioError(
        'EINVAL',
        `iova 0x${iova.toString(16)}, vaddr and size ${size} must be 4 KiB aligned and non-zero`,
      );
    }
    if (!(flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
      throw new VfioError('EINVAL', 'MAP_DMA needs READ or WRITE');
    // vfio_iommu_iova_dma_valid(): the whole range inside one usable range, else -EINVAL.
    const last = iova + size - 1;
    if (!this.iovaRanges.some(([a, b]) => iova >= a && last <= b)) {
      throw new VfioError(
        'EINVAL',
        `iova range 0x${iova.toString(16)}-0x${last.toString(16)} is not within the usable IOVA ranges (${this.iovaRanges
          .map(([a, b]) => `0x${a.toString(16)}-0x${b.toString(16)}`)
          .join(', ')}): it overlaps a reserved region or the aperture end`,
        { iova, size },
      );
    }
    if (this.ranges.some((r) => iova < r.iova + r.size && r.iova < iova + size)) {
      throw new VfioError(
        'EEXIST',
        `iova range 0x${iova.toString(16)}+0x${size.toString(16)} overlaps an existing mapping`,
      );
    }
    if (this.ranges.length >= DMA_ENTRY_LIMIT)
      throw new VfioError('ENOSPC', `dma_entry_limit ${DMA_ENTRY_LIMIT} reached`);
    if (this.pinned + size > this.memlockLimitBytes) {
      throw new VfioError(
        'ENOMEM',
        `locked memory limit ${this.memlockLimitBytes} bytes exceeded (vfio_pin_pages_remote)`,
      );
    }
    const perm = (flags & VFIO_DMA_MAP_FLAG_READ ? PERM_READ : 0) | (flags & VFIO_DMA_MAP_FLAG_WRITE ? PERM_WRITE : 0);
    // Map physically contiguous runs in one call, as vfio_iommu_map() does for pinned batches.
    let runIova = iova;
    let runPa = this.translateVaddr(vaddr) as Hpa;
    let runLen = 0;
    for (let off = 0; off < size; off += 4096) {
      const pa = this.translateVaddr(vaddr + off) as Hpa;
      if (pa !== runPa + runLen) {
        this.domain.map(runIova, runPa, runLen, perm);
        runIova = (iova + off) as Iova;
        runPa = pa;
        runLen = 0;
      }
      runLen += 4096;
    }
    this.domain.map(runIova, runPa, runLen, perm);
    this.pinned += size;
    this.ranges.push({ iova, size, vaddr });
  }

  /** VFIO_IOMMU_UNMAP_DMA: whole mappings only (type1v2 does not split); returns bytes unmapped. */
  unmapDma(iova: Iova, size: number, all = false): number {
    let done = 0;
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      const r = this.ranges[i]!;
      const inside = all || (r.iova >= iova && r.iova + r.size <= iova + size);
      const overlaps = r.iova < iova + size && iova < r.iova + r.size;
      if (!inside && overlaps)
        throw new VfioError('EINVAL', `unmap of 0x${iova.toString(16)}+0x${size.toString(16)} would split a mapping`);
      if (!inside) continue;
      this.domain.unmap(r.iova, r.size);
      this.domain.iotlbSync(r.iova, r.size);
      this.pinned -= r.size;
      done += r.size;
      this.ranges.splice(i, 1);
    }
    return done;
  }

  get mappings(): number {
    return this.ranges.length;
  }
}
