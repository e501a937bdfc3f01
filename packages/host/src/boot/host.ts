// SPDX-License-Identifier: Apache-2.0
// A booted host: its PCI functions with their groups and DMA ops, its IOMMU units, the boot log,
// and the views a user reads (/sys/kernel/iommu_groups, a description for `iofleet host describe`).
// Devices' memory accesses go through their unit (IOTLB, walk, faults) by requester id.

import { type IommuDomainOps, newTranslationOut, type TranslationOut } from '@iofleet/core/hardware';
import { type DmaOps, type DmaSim, domainTypeSysfs, type IommuDmaCookie } from '@iofleet/core/linux';
import type { HostDescription } from '../description/schema';
import { HostError } from '../errors';
import type { PciFunction, PciTree } from '../pci/tree';
import type { FirmwareUnits, HostUnit } from './iommu-units';
import type { KernelPolicy } from './kernel-policy';

export interface HostGroup {
  id: number;
  functions: PciFunction[];
  /** Default domain type (IOMMU_DOMAIN_*), 0 = blocked. */
  type: number;
  /** Index of the unit translating the group. */
  unit: number;
  /** The paging domain (DMA / DMA-FQ), null for identity and blocked. */
  domain: IommuDomainOps | null;
  /** The DMA-API cookie of the default domain (built on first use), null for identity/blocked. */
  readonly cookie: IommuDmaCookie | null;
}

export interface HostDevice {
  fn: PciFunction;
  group: HostGroup | null;
  unit: number;
  /** The Linux DMA API of this device, as its driver would call it (built on first use). */
  readonly ops: DmaOps;
}

export interface SysfsGroup {
  path: string;
  group: number;
  /** /sys/kernel/iommu_groups/N/type */
  type: string;
  devices: string[];
}

export const fullName = (f: { segment: number; text: string }) =>
  f.text.length > 7 ? f.text : `${f.segment.toString(16).padStart(4, '0')}:${f.text}`;

/** What an attach tells the unit about the device: its name (SMMUv3 event lines) and the IORT's ATS. */
export function attachOpts(_fw: FirmwareUnits, f: PciFunction): { name: string } {
  // ATS is left off: arm_smmu_ats_supported() needs the root complex's IORT ATS flag (fw.atsOf())
  // and the device's own ATS capability, which a description does not carry (as on x86, where
  // the default domains' attach does not enable device-TLBs either).
  return { name: fullName(f) };
}

export class HostImpl {
  private readonly byName = new Map<string, HostDevice>();
  private readonly out: TranslationOut = newTranslationOut();

  constructor(
    readonly desc: HostDescription,
    readonly file: string,
    readonly tree: PciTree,
    readonly sim: DmaSim,
    readonly policy: KernelPolicy,
    readonly firmware: FirmwareUnits,
    /** The vendor driver turned DMA remapping on. */
    readonly iommuEnabled: boolean,
    readonly devices: readonly HostDevice[],
    readonly groups: readonly HostGroup[],
    readonly bootLog: readonly string[],
  ) {
    for (const d of devices) {
      this.byName.set(fullName(d.fn), d);
      this.byName.set(d.fn.text, d);
    }
  }

  get units(): readonly HostUnit[] {
    return this.firmware.units;
  }

  /** The device at a PCI address ("01:00.0" or "0000:01:00.0"). */
  device(bdf: string): HostDevice {
    const d = this.byName.get(bdf.toLowerCase());
    if (!d) throw new HostError('UNKNOWN_DEVICE', `${this.file}: no PCI function ${bdf} on host ${this.desc.name}`);
    return d;
  }

  /** The ID `f`'s requests carry to its IOMMU: its requester ID, or on Arm its IORT StreamID. */
  sourceIdOf(f: PciFunction): number {
    return this.firmware.sourceIdOf(f);
  }

  /** Functions that name a device plugin, in probe order. */
  pluginDevices(): HostDevice[] {
    return this.devices.filter((d) => d.fn.desc.plugin);
  }

  /**
   * A device's memory access at `address` (IOVA, or bus address without an IOMMU) through its
   * unit: the returned object is reused by the next call (the hot path does not allocate).
   */
  dmaAccess(dev: HostDevice, address: number, write: boolean): TranslationOut {
    const o = this.out;
    if (!this.iommuEnabled || dev.unit < 0) {
      o.ok = true;
      o.pa = address;
      o.iotlbHit = false;
      o.memReads = 0;
      o.fault = null;
      return o;
    }
    const u = this.firmware.units[dev.unit]!;
    u.unit.translate({ sourceId: this.sourceIdOf(dev.fn), segment: dev.fn.segment, address, write, pasid: -1 }, o);
    return o;
  }

  /**
   * What the user should hear about the host's configuration that changes nothing or may not be
   * what was meant: a firmware table with a wrong checksum (Linux warns, and refuses an IVRS) or
   * with another bug Linux prints a warning for (a bad RMRR, a DRHD at address 0, ...),
   * command-line parameters the model does not consume, and the parser messages Linux prints when
   * it rejects an option (the option then has no effect either).
   */
  get warnings(): string[] {
    const c = this.policy.cmdline;
    const rejected = c.messages.filter((m) => /Unknown option|Malformed early option/.test(m));
    const fwBugs = new Set(this.firmware.firmwareWarnings);
    const firmware = this.bootLog.filter((l) => l.startsWith('ACPI BIOS Warning') || fwBugs.has(l));
    return [
      ...firmware.map((l) => `firmware: ${l}`),
      ...rejected.map((m) => `kernel command line: ${m} (the option has no effect)`),
      ...(c.ignored.length
        ? [`kernel command line: ${c.ignored.join(' ')}: not modelled by iofleet, changes nothing here`]
        : []),
      ...(c.foreign.length
        ? [
            `kernel command line: ${c.foreign.join(' ')}: x86 parameters, unknown to an arm64 kernel (Linux passes them to user space); they change nothing (use iommu.passthrough= / iommu.strict=)`,
          ]
        : []),
    ];
  }

  /** The /sys/kernel/iommu_groups view. */
  sysfsGroups(): SysfsGroup[] {
    return this.groups.map((g) => ({
      path: `/sys/kernel/iommu_groups/${g.id}`,
      group: g.id,
      type: domainTypeSysfs(g.type),
      devices: g.functions.map(fullName).sort(),
    }));
  }

  /** What `iofleet host describe` prints. */
  describe() {
    return {
      name: this.desc.name,
      vendor: this.desc.cpu.vendor,
      distro: this.policy.distro,
      cmdline: this.policy.cmdlineText,
      iommuEnabled: this.iommuEnabled,
      firmware: this.firmware.signature,
      units: this.firmware.units.map((u, i) => ({
        index: i,
        name: u.kind === 'amd' ? `AMD-Vi ${u.unit.name}` : u.unit.name,
        registerBase: `0x${u.base.toString(16)}`,
        devices: this.devices.filter((d) => d.unit === i).map((d) => fullName(d.fn)),
      })),
      groups: this.sysfsGroups(),
      ungrouped: this.devices.filter((d) => !d.group).map((d) => fullName(d.fn)),
      bootLog: [...this.bootLog],
      warnings: this.warnings,
    };
  }
}
