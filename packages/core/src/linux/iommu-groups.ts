// SPDX-License-Identifier: Apache-2.0
// IOMMU groups formed from a PCI topology as Linux forms them: pci_device_group()
// (drivers/iommu/iommu.c) over pci_for_each_dma_alias() (drivers/pci/search.c) and
// pci_acs_enabled() / pci_acs_path_enabled() (drivers/pci/pci.c). Devices are probed in
// enumeration order and each new group takes the next number, as iommu_group_alloc() does.
//
// Not modelled: the per-device ACS quirks of drivers/pci/quirks.c (pci_dev_specific_acs_enabled);
// give such a device the ACS flags its quirk reports instead.

/** PCIe device/port types (PCI_EXP_TYPE_*) plus conventional PCI. */
export type PciType =
  | 'root-port'
  | 'upstream'
  | 'downstream'
  | 'endpoint'
  | 'legacy-endpoint'
  | 'rc-endpoint'
  | 'rc-ec'
  | 'pcie-to-pci-bridge'
  | 'pci-to-pcie-bridge'
  | 'pci';

/** ACS capability and control bits (PCI_ACS_*). */
export const PCI_ACS_SV = 0x01;
export const PCI_ACS_TB = 0x02;
export const PCI_ACS_RR = 0x04;
export const PCI_ACS_CR = 0x08;
export const PCI_ACS_UF = 0x10;
export const PCI_ACS_EC = 0x20;
export const PCI_ACS_DT = 0x40;
/** The ACS bits by their names in the PCIe spec (§7.7.8.2) and pci_regs.h, e.g. for a host description. */
export const PCI_ACS: Readonly<Record<'SV' | 'TB' | 'RR' | 'CR' | 'UF' | 'EC' | 'DT', number>> = {
  SV: PCI_ACS_SV,
  TB: PCI_ACS_TB,
  RR: PCI_ACS_RR,
  CR: PCI_ACS_CR,
  UF: PCI_ACS_UF,
  EC: PCI_ACS_EC,
  DT: PCI_ACS_DT,
};
/** REQ_ACS_FLAGS in drivers/iommu/iommu.c */
export const REQ_ACS_FLAGS = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;

export interface PciDev {
  segment: number;
  /** bus << 8 | devfn */
  bdf: number;
  type: PciType;
  /** Index of the bridge above (bus->self), or -1 on a root bus. */
  parent: number;
  multifunction: boolean;
  /** The ACS extended capability, if present: capability and control registers. */
  acs?: { cap: number; ctrl: number };
  /** Quirk DMA aliases (pdev->dma_alias_mask), as devfns on the device's own bus. */
  dmaAliasDevfns?: readonly number[];
  /** For bridges: the secondary bus number. */
  secondaryBus?: number;
}

const bus = (d: PciDev) => (d.bdf >>> 8) & 0xff;
const slot = (d: PciDev) => (d.bdf >>> 3) & 0x1f;

/** pci_acs_flags_enabled(): features absent from the capability count as hard-wired on (except EC). */
function acsFlagsEnabled(d: PciDev, flags: number): boolean {
  if (!d.acs) return false;
  const need = flags & (d.acs.cap | PCI_ACS_EC);
  return (d.acs.ctrl & need) === need;
}

/** pci_acs_enabled() without quirks. */
export function pciAcsEnabled(d: PciDev, flags: number): boolean {
  switch (d.type) {
    case 'pci':
    case 'pci-to-pcie-bridge':
    case 'pcie-to-pci-bridge':
    case 'rc-ec':
      return false;
    case 'downstream':
    case 'root-port':
      return acsFlagsEnabled(d, flags);
    default:
      return d.multifunction ? acsFlagsEnabled(d, flags) : true;
  }
}

/** pci_acs_path_enabled(start, NULL, flags): every device from `start` up to the root bus. */
export function pciAcsPathEnabled(devs: readonly PciDev[], start: number, flags: number): boolean {
  for (let i = start; i >= 0; i = devs[i]!.parent) if (!pciAcsEnabled(devs[i]!, flags)) return false;
  return true;
}

/** pci_devs_are_dma_aliases(): either names the other's devfn (same bus). */
function areDmaAliases(a: PciDev, b: PciDev): boolean {
  return !!a.dmaAliasDevfns?.includes(b.bdf & 0xff) || !!b.dmaAliasDevfns?.includes(a.bdf & 0xff);
}

export interface GroupResult {
  /** Group number per device index (-1 for devices not probed). */
  groupOf: number[];
  /** Members of each group, by device index. */
  groups: number[][];
}

export class GroupBuilder {
  readonly groupOf: number[];
  readonly groups: number[][] = [];
  constructor(readonly devs: readonly PciDev[]) {
    this.groupOf = devs.map(() => -1);
  }

  private get(i: number): number {
    return this.groupOf[i]!;
  }

  /** get_pci_alias_group() */
  private aliasGroup(i: number, seen: Set<number>): number {
    const d = this.devs[i]!;
    const key = d.segment * 0x10000 + (d.bdf & 0xff);
    if (seen.has(key)) return -1;
    seen.add(key);
    if (this.get(i) >= 0) return this.get(i);
    for (const [j, t] of this.devs.entries()) {
      if (j === i || t.segment !== d.segment || bus(t) !== bus(d) || !areDmaAliases(d, t)) continue;
      let g = this.aliasGroup(j, seen);
      if (g >= 0) return g;
      g = this.functionAliasGroup(j, seen);
      if (g >= 0) return g;
    }
    return -1;
  }

  /** get_pci_function_alias_group(): non-isolated functions of the same slot. */
  private functionAliasGroup(i: number, seen: Set<number>): number {
    const d = this.devs[i]!;
    if (!d.multifunction || pciAcsEnabled(d, REQ_ACS_FLAGS)) return -1;
    for (const [j, t] of this.devs.entries()) {
      if (j === i || t.segment !== d.segment || bus(t) !== bus(d) || slot(t) !== slot(d)) continue;
      if (pciAcsEnabled(t, REQ_ACS_FLAGS)) continue;
      const g = this.aliasGroup(j, seen);
      if (g >= 0) return g;
    }
    return -1;
  }

  /** pci_device_group(): the group device `i` joins (allocating a new one if needed). */
  deviceGroup(i: number): number {
    // pci_for_each_dma_alias(): the device, then PCIe-to-PCI bridges above it alias its requests.
    let p = i;
    if (this.get(p) >= 0) return this.get(p);
    for (let b = this.devs[i]!.parent; b >= 0; b = this.devs[b]!.parent) {
      if (this.devs[b]!.type === 'pcie-to-pci-bridge') {
        p = b;
        if (this.get(p) >= 0) return this.get(p);
      }
    }
    // Upstream to the first bridge whose path to the root has ACS.
    for (let b = this.devs[p]!.parent; b >= 0; b = this.devs[b]!.parent) {
      if (pciAcsPathEnabled(this.devs, b, REQ_ACS_FLAGS)) break;
      p = b;
      if (this.get(p) >= 0) return this.get(p);
    }
    const seen = new Set<number>();
    let g = this.aliasGroup(p, seen);
    if (g >= 0) return g;
    g = this.functionAliasGroup(p, seen);
    if (g >= 0) return g;
    this.groups.push([]);
    return this.groups.length - 1;
  }

  /** iommu_probe_device() for device `i`: it joins its group (and so does the anchor it found). */
  probe(i: number): number {
    const g = this.deviceGroup(i);
    this.groupOf[i] = g;
    this.groups[g]!.push(i);
    return g;
  }
}

/** Forms groups for the devices in `probeOrder` (indexes into devs), as boot does. */
export function formIommuGroups(devs: readonly PciDev[], probeOrder: readonly number[]): GroupResult {
  const b = new GroupBuilder(devs);
  for (const i of probeOrder) b.probe(i);
  return { groupOf: b.groupOf, groups: b.groups };
}
