// SPDX-License-Identifier: Apache-2.0
// The firmware a described host would ship: its DMAR (Intel) or IVRS (AMD) bytes, built from the
// description with @iofleet/acpi, so the host boots from bytes the way Linux does.
//
// Intel: one DRHD per described unit (default: one INCLUDE_PCI_ALL unit at 0xfed90000, where
// QEMU and most client platforms put it); each unit's scope lists the named functions (a bridge
// or port as a sub-hierarchy scope, VT-d §8.3.1); the INCLUDE_PCI_ALL unit also carries the
// IOAPIC scope Linux needs for interrupt remapping (ir_parse_ioapic_hpet_scope()); RMRRs from the
// description; one ATSR with ALL_PORTS when ATS is on. Host address width from iommu.addressWidth.
// AMD: one IVHD type 11h per unit (default: one covering ALL DeviceIDs, the IOMMU itself at
// 00:00.2 as on EPYC), an IOAPIC special entry, IVMD type 21h unity maps for RMRR-like ranges.
// Arm: an IORT (@iofleet/acpi iortSpecForArmHost()): one SMMUv3 node per unit (default: one at
// DEFAULT_SMMU_BASE translating all of segment 0), a root complex per PCI segment, ITS groups, and
// RMR nodes for iommu.rmr.
// Simplification: no RHSA/ANDD/SATC and no HPET scope are generated (Linux needs none of them to
// boot); real tables carrying them can be given instead (firmware.table).

import {
  type ArmIommuDescription,
  buildDmar,
  buildIort,
  buildIvrs,
  DMAR_SCOPE,
  type DmarSpec,
  type IortSpec,
  type IvrsSpec,
  iortSpecForArmHost,
  isAcpiDecodeError,
  type ScopeSpec,
} from '@iofleet/acpi';
import { bdfBus, parseBdf } from '@iofleet/core';
import type { HostDescription } from '../description/schema';
import { HostError } from '../errors';
import type { PciFunction, PciTree } from '../pci/tree';
import { scopeFor } from './dmar-scope';

/** Where Linux-on-QEMU and client platforms find the VT-d unit when the description names none. */
export const DEFAULT_DRHD_BASE = 0xfed9_0000;
/** The AMD IOMMU's own PCI function (00:00.2) and MMIO base used when the description names none. */
export const DEFAULT_IVHD_DEVICE_ID = 0x0002;
export const DEFAULT_IVHD_BASE = 0xfeb8_0000;
/** The IOAPIC's id and the requester id it uses (00:14.0 on AMD chipsets; 0xf0:1f.0 on QEMU Intel). */
export const IOAPIC_ID = 0;
export const INTEL_IOAPIC_SCOPE: ScopeSpec = {
  type: DMAR_SCOPE.IOAPIC,
  startBus: 0xf0,
  path: [{ device: 0x1f, function: 0 }],
};
export const AMD_IOAPIC_DEVICE_ID = 0x00a0;

/** Where the SMMUv3 is when an Arm description names none (QEMU virt's VIRT_SMMU is 0x09050000). */
export const DEFAULT_SMMU_BASE = 0x0905_0000;

export interface BuiltFirmware {
  signature: 'DMAR' | 'IVRS' | 'IORT';
  bytes: Uint8Array;
}

function lookup(tree: PciTree, text: string, where: string): PciFunction {
  const p = parseBdf(text);
  const f = p && tree.get(p.segment, p.bdf);
  if (!f) throw new HostError('TOPOLOGY_INVALID', `${where}: ${text} is not in the PCI list`);
  return f;
}

function toScope(f: PciFunction): ScopeSpec {
  const s = scopeFor(f);
  return { type: s.type, startBus: s.startBus, path: [...s.path] };
}

export function dmarSpecFor(desc: HostDescription, tree: PciTree): DmarSpec {
  const units = desc.iommu.units ?? [{ base: DEFAULT_DRHD_BASE, includeAll: true, scope: [] }];
  if (units.length === 0) throw new HostError('BOOT_FAILED', 'iommu.units: at least one unit is needed');
  return {
    hostAddressWidth: desc.iommu.addressWidth,
    interruptRemapping: true,
    platformOptIn: desc.iommu.platformOptIn,
    units: units.map((u, i) => ({
      segment: 0,
      base: BigInt(u.base),
      includeAll: u.includeAll,
      scopes: [
        ...u.scope.map((b) => toScope(lookup(tree, b, `iommu.units[${i}].scope`))),
        ...(u.includeAll ? [{ ...INTEL_IOAPIC_SCOPE, enumerationId: IOAPIC_ID }] : []),
      ],
    })),
    rmrrs: desc.iommu.rmrr.map((r, i) => ({
      segment: 0,
      base: BigInt(r.base),
      end: BigInt(r.end),
      scopes: r.devices.map((b) => toScope(lookup(tree, b, `iommu.rmrr[${i}].devices`))),
    })),
    atsr: desc.iommu.ats ? [{ segment: 0, allPorts: true, scopes: [] }] : [],
  };
}

/** DeviceID ranges below a function: itself, and for a bridge its whole bus range. */
function idRange(f: PciFunction): [number, number] {
  if (f.secondaryBus === undefined) return [f.bdf, f.bdf];
  return [f.bdf, ((f.subordinateBus ?? f.secondaryBus) << 8) | 0xff];
}

export function ivrsSpecFor(desc: HostDescription, tree: PciTree): IvrsSpec {
  const units = desc.iommu.units ?? [{ base: DEFAULT_IVHD_BASE, includeAll: true, scope: [] }];
  return {
    physicalAddressBits: desc.iommu.addressWidth,
    virtualAddressBits: 64,
    iommus: units.map((u, i) => {
      const fns = u.scope.map((b) => lookup(tree, b, `iommu.units[${i}].scope`));
      return {
        // Each IOMMU is function 2 of device 0 on its root bus (00:00.2, 40:00.2... on EPYC).
        deviceId: fns.length ? (bdfBus(fns[0]!.bdf) << 8) | DEFAULT_IVHD_DEVICE_ID : DEFAULT_IVHD_DEVICE_ID,
        segment: 0,
        base: BigInt(u.base),
        devices: u.includeAll ? 'all' : fns.map(idRange),
        specials: i === 0 ? [{ handle: IOAPIC_ID, deviceId: AMD_IOAPIC_DEVICE_ID, variety: 1 as const }] : [],
      };
    }),
    unityMaps: desc.iommu.rmrr.flatMap((r, i) =>
      r.devices.map((b) => ({
        deviceId: lookup(tree, b, `iommu.rmrr[${i}].devices`).bdf,
        start: BigInt(r.base),
        length: BigInt(r.end) - BigInt(r.base) + 1n,
        read: true,
        write: true,
      })),
    ),
  };
}

/** The IORT of a described Arm host (docs/acpi.md, "An Arm host's IORT"). */
export function iortSpecFor(desc: HostDescription, tree: PciTree): IortSpec {
  const units = desc.iommu.units ?? [{ base: DEFAULT_SMMU_BASE, includeAll: true, scope: [] }];
  const d: ArmIommuDescription = {
    ats: desc.iommu.ats,
    units: units.map((u) => ({
      base: BigInt(u.base),
      ...(u.segment !== undefined && { segment: u.segment }),
      ...(u.rids && { rids: u.rids }),
      ...(u.streamIdBase !== undefined && { streamIdBase: u.streamIdBase }),
      ...(u.its !== undefined && { its: u.its }),
      ...(u.numaNode !== undefined && { numaNode: u.numaNode }),
      ...(u.gsiv && { gsiv: u.gsiv }),
    })),
    reserved: desc.iommu.rmr.flatMap((r, i) =>
      r.devices.map((b) => {
        const f = lookup(tree, b, `iommu.rmr[${i}].devices`);
        return { base: BigInt(r.base), end: BigInt(r.end), segment: f.segment, rid: f.bdf };
      }),
    ),
  };
  if (desc.iommu.its) d.its = desc.iommu.its;
  try {
    return iortSpecForArmHost(
      d,
      tree.functions.map((f) => f.segment),
    );
  } catch (e) {
    if (isAcpiDecodeError(e)) throw new HostError('DESCRIPTION_INVALID', e.message);
    throw e;
  }
}

/** The DMAR, IVRS or IORT bytes of a described host (its CPU vendor decides which). */
export function buildFirmware(desc: HostDescription, tree: PciTree): BuiltFirmware {
  if (desc.cpu.vendor === 'arm') return { signature: 'IORT', bytes: buildIort(iortSpecFor(desc, tree)) };
  if (desc.cpu.vendor === 'intel') return { signature: 'DMAR', bytes: buildDmar(dmarSpecFor(desc, tree)) };
  return { signature: 'IVRS', bytes: buildIvrs(ivrsSpecFor(desc, tree)) };
}
