// SPDX-License-Identifier: Apache-2.0
// A virtual machine on a booted host, with devices assigned through VFIO (type1): binding a
// function to vfio-pci, group viability (every function of the group bound to vfio-pci or to no
// driver, bridges to pcieport: drivers/vfio/group.c), the container's UNMANAGED domain replacing
// the group's default domain (iommu_attach_group()), and VFIO_IOMMU_MAP_DMA of all guest RAM,
// GPA -> HPA, as QEMU does at startup. Guest DMA then goes GPA -> HPA through the host unit.
//
// With a vIOMMU in the guest (`assign(..., { viommu: true })`, ./virtio-iommu.ts) guest RAM is not
// mapped at startup: the container maps what the guest maps, guest IOVA -> HPA.
//
// Simplifications: guest RAM is backed by one physically contiguous host range (so runs map with
// the largest page sizes alignment allows), and the size is bounded by the simulated host memory.

import type { Hpa, Iova } from '@iofleet/core';
import type { IommuDomainOps } from '@iofleet/core/hardware';
import {
  IOMMU_DOMAIN_IDENTITY,
  isVfioError,
  unitAttachDevice,
  unitCreateDomain,
  unitFreeDomain,
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_WRITE,
  VfioContainer,
  type VfioGroupInfo,
} from '@iofleet/core/linux';
import { attachOpts, fullName, type HostDevice, type HostGroup, type HostImpl } from '../boot/host';
import { HostError } from '../errors';

const BRIDGE_KINDS: ReadonlySet<string> = new Set([
  'rootPort',
  'switchUpstream',
  'switchDownstream',
  'pcieToPciBridge',
]);

/** Alignment of guest RAM in host memory (a 2 MiB huge page). */
const GUEST_RAM_ALIGN = 2 * 1024 * 1024;

/** Bound on one VM's simulated RAM, MiB (host model memory for DMA buffers is 1.5 GiB). */
export const MAX_VM_MEMORY_MIB = 1024;

export interface VmOptions {
  name: string;
  memoryMiB: number;
}

/** The host driver a function is bound to before assignment (what viability looks at). */
export function hostDriverOf(dev: HostDevice): string | null {
  if (dev.fn.desc.hostBound) return dev.fn.desc.class ?? 'host';
  const k = dev.fn.kind;
  if (k === 'rootPort' || k === 'switchUpstream' || k === 'switchDownstream') return 'pcieport';
  if (k === 'pcieToPciBridge') return null;
  return dev.fn.desc.plugin ?? dev.fn.desc.class ?? null;
}

/** Linux's device_rmrr_is_relaxable(): USB and graphics RMRRs do not block assignment. */
function rmrrBlocks(host: HostImpl, dev: HostDevice): boolean {
  if (!host.firmware.reserved.has(dev.fn.text)) return false;
  return !['usb', 'gpu'].includes(dev.fn.desc.class ?? '');
}

export class Vm {
  readonly memBytes: number;
  /** Host physical address backing GPA 0. */
  readonly hostBase: number;
  readonly assigned: HostDevice[] = [];
  private released = false;
  private readonly rawBase: Hpa;
  private readonly rawPages: number;
  private readonly containers: { group: HostGroup; container: VfioContainer; domain: IommuDomainOps }[] = [];

  constructor(
    readonly host: HostImpl,
    readonly o: VmOptions,
  ) {
    if (!(Number.isInteger(o.memoryMiB) && o.memoryMiB >= 2 && o.memoryMiB <= MAX_VM_MEMORY_MIB))
      throw new HostError('VFIO', `vm ${o.name}: memory ${o.memoryMiB} MiB outside 2..${MAX_VM_MEMORY_MIB}`);
    this.memBytes = o.memoryMiB * 1024 * 1024;
    // Backed 2 MiB-aligned (as hugetlbfs-backed guest RAM is), so VFIO maps it with superpages
    // where the IOMMU has them: the allocation is over-sized by one 2 MiB page and the base rounded.
    this.rawPages = this.memBytes / 4096 + 512;
    this.rawBase = host.sim.pages.allocPages(this.rawPages);
    if (this.rawBase < 0)
      throw new HostError(
        'VFIO',
        `vm ${o.name}: the host model has no ${o.memoryMiB} MiB of memory left for guest RAM`,
      );
    this.hostBase = Math.ceil(this.rawBase / GUEST_RAM_ALIGN) * GUEST_RAM_ALIGN;
  }

  /** GPA -> HPA of guest RAM, or -1 outside it. */
  gpaToHpa(gpa: number): number {
    return gpa >= 0 && gpa < this.memBytes ? this.hostBase + gpa : -1;
  }

  /**
   * Assigns functions (bound to vfio-pci) to this VM. Every group they touch must be viable;
   * otherwise the VFIO error QEMU prints (group N is not viable) and nothing changes.
   */
  assign(bdfs: readonly string[], o: { viommu?: boolean } = {}): void {
    const host = this.host;
    const devs = bdfs.map((b) => host.device(b));
    for (const d of devs)
      if (!d.group)
        throw new HostError(
          'VFIO',
          `vfio-pci ${fullName(d.fn)}: no IOMMU group (the IOMMU is off or does not cover it): probe failed with error -22`,
        );
    const chosen = new Set(devs);
    const groups = [...new Set(devs.map((d) => d.group!))];
    const infos = groups.map(
      (g): VfioGroupInfo => ({
        id: g.id,
        devices: g.functions.map((f) => {
          const d = host.device(fullName(f));
          return {
            name: fullName(f),
            driver: chosen.has(d) ? 'vfio-pci' : hostDriverOf(d),
            bridge: f.children.length > 0 || BRIDGE_KINDS.has(f.kind),
            rmrr: rmrrBlocks(host, d),
          };
        }),
      }),
    );
    const attached: { group: HostGroup; container: VfioContainer; domain: IommuDomainOps }[] = [];
    for (const [i, g] of groups.entries()) {
      const hu = host.units[g.unit]!;
      const domain = unitCreateDomain(hu.unit, 'unmanaged');
      const container = new VfioContainer(domain, (gpa) => this.gpaToHpa(gpa));
      try {
        container.addGroup(infos[i]!, fullName(devs.find((d) => d.group === g)!.fn));
      } catch (e) {
        if (isVfioError(e)) throw new HostError('VFIO', e.message);
        throw e;
      }
      attached.push({ group: g, container, domain });
    }
    // All groups are viable: switch them to their UNMANAGED domains and map guest RAM.
    for (const a of attached) {
      const hu = host.units[a.group.unit]!;
      for (const f of a.group.functions)
        unitAttachDevice(hu.unit, host.sourceIdOf(f), a.domain, attachOpts(host.firmware, f));
      if (!o.viommu) a.container.mapDma(0, 0 as Iova, this.memBytes, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
      this.containers.push(a);
    }
    this.assigned.push(...devs);
  }

  /**
   * Tears the VM down as QEMU and VFIO do on exit: unmaps and unpins guest RAM, returns every
   * group to its default domain (vfio_group_detach_container(): the kernel reattaches the default
   * domain), frees the UNMANAGED domains and the guest memory. Returns the functions freed.
   */
  release(): HostDevice[] {
    const host = this.host;
    for (const c of this.containers.splice(0)) {
      c.container.unmapDma(0 as Iova, 0, true);
      const hu = host.units[c.group.unit]!;
      for (const f of c.group.functions) {
        const back = c.group.domain ?? (c.group.type === IOMMU_DOMAIN_IDENTITY ? 'passthrough' : 'blocked');
        unitAttachDevice(hu.unit, host.sourceIdOf(f), back, attachOpts(host.firmware, f));
      }
      unitFreeDomain(hu.unit, c.domain);
    }
    if (!this.released) host.sim.pages.freePages(this.rawBase, this.rawPages);
    this.released = true;
    return this.assigned.splice(0);
  }

  /** The UNMANAGED domain an assigned device's DMA goes through. */
  domainOf(bdf: string): IommuDomainOps | undefined {
    return this.containerOf(bdf)?.domain;
  }

  /** The VFIO container (and its domain) of an assigned device's group. */
  containerOf(bdf: string): { container: VfioContainer; domain: IommuDomainOps } | undefined {
    const d = this.host.device(bdf);
    return this.containers.find((c) => c.group === d.group);
  }
}
