// SPDX-License-Identifier: Apache-2.0
// IOMMU units created from firmware bytes, as the vendor drivers do at boot:
// Intel: dmar_table_init() parses the DMAR (dmar_table_print_dmar_entry() prints each structure),
// dmar_parse_one_drhd() creates a unit per DRHD (alloc_iommu(): "dmar%d: reg_base_addr ..."),
// ir_parse_ioapic_hpet_scope() prints the IOAPICs under each unit. Devices are matched to units
// by dmar_find_matched_drhd_unit() (./../firmware/dmar-scope.ts).
// AMD: init_iommu_all() creates a unit per IVHD of the highest type present (Linux uses one IVHD
// type: the 40h blocks when present, else 11h, else 10h), prints "Found IOMMU cap 0x%x" per unit;
// device ranges decide which unit translates which DeviceID (../firmware/ivhd-scope.ts).

import {
  type DmarTable,
  decodeDmar,
  decodeIvrs,
  type IvhdBlock,
  type IvrsTable,
  isAcpiDecodeError,
  linuxChecksumWarning,
  validateDmar,
  validateIvrs,
} from '@iofleet/acpi';
import { AmdViUnit, type Bdf, type HwCounters, type PhysMemory, VtdUnit } from '@iofleet/core';
import type { HostDescription } from '../description/schema';
import { HostError } from '../errors';
import { type DrhdLike, matchDrhd, resolveScope as resolveInTree, SCOPE_IOAPIC } from '../firmware/dmar-scope';
import { type IvhdCoverage, ivhdCoverage, matchIvhd } from '../firmware/ivhd-scope';
import type { PciFunction, PciTree } from '../pci/tree';

export type HostUnit = { kind: 'vtd'; unit: VtdUnit; base: bigint } | { kind: 'amd'; unit: AmdViUnit; base: bigint };

export interface FirmwareUnits {
  signature: 'DMAR' | 'IVRS';
  units: HostUnit[];
  /** Index into `units` of the unit translating `f`, or -1 (no IOMMU: no group). */
  unitOf(f: PciFunction): number;
  /** RMRR / IVMD unity ranges per function text: [base, end] inclusive. */
  reserved: Map<string, [bigint, bigint][]>;
  /** Log lines of the parse, in the order Linux prints them. */
  log: string[];
  /** Validation findings of severity warning or error, as Linux's FW_BUG lines. */
  firmwareWarnings: string[];
  /** DMAR flags: DMA_CTRL_PLATFORM_OPT_IN (bit 2). */
  platformOptIn: boolean;
}

const hex16 = (v: bigint | number) => `0x${v.toString(16).padStart(14, '0')}`;

function decode<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isAcpiDecodeError(e)) throw new HostError('BOOT_FAILED', `firmware ${what}: ${e.message}`);
    throw e;
  }
}

const DMAR_LINES: Readonly<Record<string, (f: Record<string, number | bigint | string>) => string>> = {
  DRHD: (f) => `DMAR: DRHD base: ${hex16(f.RegisterBaseAddress as bigint)} flags: 0x${Number(f.Flags).toString(16)}`,
  RMRR: (f) => `DMAR: RMRR base: ${hex16(f.BaseAddress as bigint)} end: ${hex16(f.EndAddress as bigint)}`,
  ATSR: (f) => `DMAR: ATSR flags: 0x${Number(f.Flags).toString(16)}`,
  RHSA: (f) =>
    `DMAR: RHSA base: ${hex16(f.BaseAddress as bigint)} proximity domain: 0x${Number(f.ProximityDomain).toString(16)}`,
  SATC: (f) => `DMAR: SATC flags: 0x${Number(f.Flags).toString(16)}`,
};

export function vtdUnitsFromDmar(
  bytes: Uint8Array,
  tree: PciTree,
  desc: HostDescription,
  mem: PhysMemory,
  counters: () => HwCounters,
  /** intel_iommu=sp_off: domains get 4 KiB pages only (the units still report SLLPS). */
  superpagesOff = false,
): FirmwareUnits {
  const t: DmarTable = decode('DMAR', () => decodeDmar(bytes));
  const log = [`DMAR: Host address width ${t.hostAddressWidth + 1}`];
  const drhds: DrhdLike[] = [];
  const units: HostUnit[] = [];
  const reserved = new Map<string, [bigint, bigint][]>();
  const irLines: string[] = [];
  for (const s of t.structures) {
    const line = DMAR_LINES[s.name];
    if (line) log.push(line(s.fields));
    if (s.name === 'DRHD') {
      const base = s.fields.RegisterBaseAddress as bigint;
      const unit = new VtdUnit({
        mem,
        index: units.length,
        segment: Number(s.fields.Segment),
        registerBase: Number(base),
        counters: counters(),
        superpagesOff,
        params: {
          addressWidth: desc.iommu.addressWidth,
          superpages: { '2M': desc.iommu.superpages.includes('2M'), '1G': desc.iommu.superpages.includes('1G') },
          deviceTlb: desc.iommu.ats,
          cachingMode: desc.iommu.cachingMode,
          postedInterrupts: desc.iommu.postedInterrupts,
          iotlb: desc.iommu.iotlb,
        },
      });
      units.push({ kind: 'vtd', unit, base });
      log.push(unit.bootLine());
      drhds.push({
        flags: Number(s.fields.Flags),
        segment: Number(s.fields.Segment),
        registerBaseAddress: base,
        deviceScopes: s.scopes,
      });
      for (const sc of s.scopes)
        if (sc.type === SCOPE_IOAPIC)
          irLines.push(
            `DMAR-IR: IOAPIC id ${sc.enumerationId} under DRHD base  0x${base.toString(16)} IOMMU ${units.length - 1}`,
          );
    }
    if (s.name === 'RMRR') {
      const seg = Number(s.fields.Segment);
      for (const sc of s.scopes) {
        const f = resolveInTree(tree, seg, sc);
        if (f)
          reserved.set(f.text, [
            ...(reserved.get(f.text) ?? []),
            [s.fields.BaseAddress as bigint, s.fields.EndAddress as bigint],
          ]);
      }
    }
  }
  log.push(...irLines);
  const firmwareWarnings = validateDmar(t)
    .filter((x) => x.severity !== 'info')
    .map((x) => `DMAR: [Firmware Bug]: ${x.message}`);
  const cache = new Map<PciFunction, number>();
  return {
    signature: 'DMAR',
    units,
    unitOf: (f) => {
      const hit = cache.get(f);
      if (hit !== undefined) return hit;
      const u = matchDrhd(tree, drhds, f);
      cache.set(f, u);
      return u;
    },
    reserved,
    log,
    firmwareWarnings,
    platformOptIn: (t.flags & 4) !== 0,
  };
}

/** Linux picks one IVHD type: the highest of 40h, 11h, 10h present (get_highest_supported_ivhd_type()). */
function ivhdsUsed(t: IvrsTable): IvhdBlock[] {
  const ivhds = t.blocks.filter((b): b is IvhdBlock => b.kind === 'IVHD');
  for (const type of [0x40, 0x11, 0x10]) {
    const sel = ivhds.filter((b) => b.type === type);
    if (sel.length) return sel;
  }
  return [];
}

export function amdUnitsFromIvrs(
  bytes: Uint8Array,
  tree: PciTree,
  desc: HostDescription,
  mem: PhysMemory,
  counters: () => HwCounters,
): FirmwareUnits {
  // check_ivrs_checksum() (drivers/iommu/amd/init.c): a corrupt IVRS stops the driver (-ENODEV).
  if (linuxChecksumWarning(bytes))
    return {
      signature: 'IVRS',
      units: [],
      unitOf: () => -1,
      reserved: new Map(),
      log: ['AMD-Vi: [Firmware Bug]: IVRS invalid checksum'],
      firmwareWarnings: [],
      platformOptIn: false,
    };
  const t: IvrsTable = decode('IVRS', () => decodeIvrs(bytes));
  const ivhds = ivhdsUsed(t);
  const cov: IvhdCoverage = ivhdCoverage(ivhds);
  const log: string[] = [];
  const units: HostUnit[] = ivhds.map((h) => {
    const name = `${h.segment.toString(16).padStart(4, '0')}:${((h.deviceId >> 8) & 0xff).toString(16).padStart(2, '0')}:${((h.deviceId >> 3) & 0x1f).toString(16).padStart(2, '0')}.${h.deviceId & 7}`;
    const unit = new AmdViUnit({
      mem,
      segment: h.segment,
      name,
      counters: counters(),
      params: {
        pageSizes: desc.iommu.superpages.length ? 'all' : '4k',
        iotlb: desc.iommu.iotlb,
      },
    });
    log.push(`pci ${name}: AMD-Vi: Found IOMMU cap 0x${h.capabilityOffset.toString(16)}`);
    if (h.efr) log.push(`pci ${name}: AMD-Vi: Extended features (0x${h.efr.toString(16)}):`);
    return { kind: 'amd' as const, unit, base: h.baseAddress };
  });
  if (units.length) log.push('AMD-Vi: Interrupt remapping enabled');
  const reserved = new Map<string, [bigint, bigint][]>();
  for (const b of t.blocks) {
    if (b.kind !== 'IVMD' || b.type !== 0x21) continue;
    const f = tree.get(0, b.deviceId as Bdf);
    if (f)
      reserved.set(f.text, [...(reserved.get(f.text) ?? []), [b.startAddress, b.startAddress + b.memoryLength - 1n]]);
  }
  const firmwareWarnings = validateIvrs(t)
    .filter((x) => x.severity !== 'info')
    .map((x) => `AMD-Vi: [Firmware Bug]: ${x.message}`);
  return {
    signature: 'IVRS',
    units,
    unitOf: (f) => matchIvhd(ivhds, cov, f.segment, f.bdf),
    reserved,
    log,
    firmwareWarnings,
    platformOptIn: false,
  };
}
