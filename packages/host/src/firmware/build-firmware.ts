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
// Simplification: no RHSA/ANDD/SATC and no HPET scope are generated (Linux needs none of them to
// boot); real tables carrying them can be given instead (firmware.table).

import { buildDmar, buildIvrs, type DmarSpec, type IvrsSpec, type ScopeSpec } from '@iofleet/acpi';
import { bdfBus, parseBdf } from '@iofleet/core';
import type { HostDescription } from '../description/schema';
import { HostError } from '../errors';
import type { PciFunction, PciTree } from '../pci/tree';
import { SCOPE_IOAPIC, scopeFor } from './dmar-scope';

/** Where Linux-on-QEMU and client platforms find the VT-d unit when the description names none. */
export const DEFAULT_DRHD_BASE = 0xfed9_0000;
/** The AMD IOMMU's own PCI function (00:00.2) and MMIO base used when the description names none. */
export const DEFAULT_IVHD_DEVICE_ID = 0x0002;
export const DEFAULT_IVHD_BASE = 0xfeb8_0000;
/** The IOAPIC's id and the requester id it uses (00:14.0 on AMD chipsets; 0xf0:1f.0 on QEMU Intel). */
export const IOAPIC_ID = 0;
export const INTEL_IOAPIC_SCOPE: ScopeSpec = {
  type: SCOPE_IOAPIC,
  startBus: 0xf0,
  path: [{ device: 0x1f, function: 0 }],
};
export const AMD_IOAPIC_DEVICE_ID = 0x00a0;

export interface BuiltFirmware {
  signature: 'DMAR' | 'IVRS';
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

/** The DMAR or IVRS bytes of a described host (its CPU vendor decides which). */
export function buildFirmware(desc: HostDescription, tree: PciTree): BuiltFirmware {
  if (desc.cpu.vendor === 'intel') return { signature: 'DMAR', bytes: buildDmar(dmarSpecFor(desc, tree)) };
  return { signature: 'IVRS', bytes: buildIvrs(ivrsSpecFor(desc, tree)) };
}
