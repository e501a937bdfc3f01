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
  DMAR_SCOPE,
  type DmarTable,
  decodeDmar,
  decodeIvrs,
  type IvhdBlock,
  type IvrsTable,
  isAcpiDecodeError,
  linuxChecksumWarning,
  SCOPE_TYPE_NAMES,
} from '@iofleet/acpi';
import type { Bdf, SimLock } from '@iofleet/core';
import { AmdViUnit, type HwCounters, type PhysMemory, type SmmuV3Unit, VtdUnit } from '@iofleet/core/hardware';
import type { HostDescription } from '../description/schema';
import { HostError } from '../errors';
import { type DrhdLike, matchDrhd, resolveScope as resolveInTree } from '../firmware/dmar-scope';
import { type IvhdCoverage, ivhdCoverage, matchIvhd } from '../firmware/ivhd-scope';
import type { PciFunction, PciTree } from '../pci/tree';

/** The unit's invalidation queue lock and engine, shared by the DMA cookies of its domains (made on first use). */
interface UnitLocks {
  locks?: { queue: SimLock; engine: SimLock };
}

export type HostUnit = (
  | { kind: 'vtd'; unit: VtdUnit; base: bigint }
  | { kind: 'amd'; unit: AmdViUnit; base: bigint }
  | { kind: 'smmu'; unit: SmmuV3Unit; base: bigint }
) &
  UnitLocks;

export interface FirmwareUnits {
  signature: 'DMAR' | 'IVRS' | 'IORT';
  units: HostUnit[];
  /** Index into `units` of the unit translating `f`, or -1 (no IOMMU: no group). */
  unitOf(f: PciFunction): number;
  /**
   * The ID `f`'s requests carry to its unit: the requester ID (VT-d source-id, AMD-Vi DeviceID),
   * or on an SMMUv3 the StreamID the IORT maps the requester ID to.
   */
  sourceIdOf(f: PciFunction): number;
  /** The firmware lets `f` use ATS (IORT root complex ATS attribute); absent: the unit decides. */
  atsOf?(f: PciFunction): boolean;
  /** RMRR / IVMD unity ranges per function text: [base, end] inclusive. */
  reserved: Map<string, [bigint, bigint][]>;
  /** Log lines of the parse, in the order Linux prints them, its firmware warnings among them. */
  log: string[];
  /**
   * The firmware warnings among `log`: only what Linux prints at boot, worded as it does
   * ("[Firmware Bug]: Your BIOS is broken; bad RMRR [...]", "IVRS invalid checksum", ...). Other
   * findings of `iofleet acpi validate` (a 36-bit host address width, overlapping RMRRs, an
   * INCLUDE_PCI_ALL unit that is not last...) are not boot lines: Linux says nothing about them.
   */
  firmwareWarnings: string[];
  /** DMAR flags: DMA_CTRL_PLATFORM_OPT_IN (bit 2). */
  platformOptIn: boolean;
}

const hex16 = (v: bigint | number) => `0x${v.toString(16).padStart(14, '0')}`;

/** A firmware table's bytes -> the units Linux creates from it (one per vendor). */
export type UnitsFromFirmware = (
  bytes: Uint8Array,
  tree: PciTree,
  desc: HostDescription,
  mem: PhysMemory,
  counters: () => HwCounters,
) => FirmwareUnits;

/** Decodes a table; a decode error is the host's BOOT_FAILED naming the table. */
export function decode<T>(what: string, f: () => T): T {
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

/** FW_BUG (include/linux/printk.h). */
const FW_BUG = '[Firmware Bug]: ';

/**
 * What Linux prints while it parses one DMAR structure, after the structure's own line
 * (dmar_walk_remapping_entries() prints, then calls the parser): dmar_alloc_dev_scope()'s
 * "Unsupported device scope" for scope types other than 1-5, dmar_parse_one_rmrr()'s bad-RMRR
 * FW_BUG (rmrr_sanity_check(): base and end+1 page aligned, end above base; arch_rmrr_sanity_check()
 * needs the E820 map, not modelled), dmar_parse_one_rhsa()'s RHSA without a DRHD. The second line
 * of those FW_BUG messages ("BIOS vendor: ...; Ver: ...; Product Version: ...") needs DMI strings
 * the model does not have, and is left out.
 */
function dmarStructureWarnings(s: DmarTable['structures'][number], drhdBases: Set<bigint>): string[] {
  const out: string[] = [];
  if (s.name === 'DRHD' || s.name === 'RMRR' || s.name === 'ATSR' || s.name === 'SATC')
    for (const sc of s.scopes) if (SCOPE_TYPE_NAMES[sc.type] === undefined) out.push('DMAR: Unsupported device scope');
  if (s.name === 'RMRR') {
    const base = s.fields.BaseAddress as bigint;
    const end = s.fields.EndAddress as bigint;
    if (base % 4096n !== 0n || (end + 1n) % 4096n !== 0n || end <= base)
      out.push(`DMAR: ${FW_BUG}Your BIOS is broken; bad RMRR [${hex018(base)}-${hex018(end)}]`);
  }
  if (s.name === 'RHSA' && !drhdBases.has(s.fields.BaseAddress as bigint))
    out.push(
      `DMAR: ${FW_BUG}Your BIOS is broken; RHSA refers to non-existent DMAR unit at ${(s.fields.BaseAddress as bigint).toString(16)}`,
    );
  return out;
}

/** %#018Lx */
const hex018 = (v: bigint) => `0x${v.toString(16).padStart(16, '0')}`;

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
  // ACPICA's checksum warning is boot.ts's (it concerns any table); the DMAR is used anyway.
  const warnings: string[] = [];
  const none = (log: string[]): FirmwareUnits => ({
    signature: 'DMAR',
    units: [],
    unitOf: () => -1,
    sourceIdOf: (f) => f.bdf,
    reserved: new Map(),
    log,
    firmwareWarnings: warnings,
    platformOptIn: false,
  });
  // detect_intel_iommu() -> dmar_validate_one_drhd(): a DRHD at address 0 stops VT-d altogether.
  if (t.structures.some((s) => s.name === 'DRHD' && s.fields.RegisterBaseAddress === 0n)) {
    warnings.push(`DMAR: ${FW_BUG}Your BIOS is broken; DMAR reported at address 0!`);
    return none([...warnings]);
  }
  // parse_dmar_table(): a width below PAGE_SHIFT - 1 is refused; any other width is fine.
  if (t.hostAddressWidth < 11) {
    warnings.push('DMAR: Invalid DMAR haw');
    return none([...warnings]);
  }
  const log = [...warnings, `DMAR: Host address width ${t.hostAddressWidth + 1}`];
  const drhds: DrhdLike[] = [];
  const units: HostUnit[] = [];
  const reserved = new Map<string, [bigint, bigint][]>();
  const irLines: string[] = [];
  const drhdBases = new Set(
    t.structures.filter((s) => s.name === 'DRHD').map((s) => s.fields.RegisterBaseAddress as bigint),
  );
  for (const s of t.structures) {
    const line = DMAR_LINES[s.name];
    if (line) log.push(line(s.fields));
    const found = dmarStructureWarnings(s, drhdBases);
    log.push(...found);
    warnings.push(...found);
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
        if (sc.type === DMAR_SCOPE.IOAPIC)
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
  if (units.length === 0) {
    const noDrhd = `DMAR: ${FW_BUG}No DRHD structure found in DMAR table`;
    log.push(noDrhd);
    warnings.push(noDrhd);
  }
  log.push(...irLines);
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
    sourceIdOf: (f) => f.bdf,
    reserved,
    log,
    firmwareWarnings: warnings,
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
  if (linuxChecksumWarning(bytes)) {
    const refused = `AMD-Vi: ${FW_BUG}IVRS invalid checksum`;
    return {
      signature: 'IVRS',
      units: [],
      unitOf: () => -1,
      sourceIdOf: (f) => f.bdf,
      reserved: new Map(),
      log: [refused],
      firmwareWarnings: [refused],
      platformOptIn: false,
    };
  }
  const t: IvrsTable = decode('IVRS', () => decodeIvrs(bytes));
  const warnings: string[] = [];
  const ivhds = ivhdsUsed(t);
  const cov: IvhdCoverage = ivhdCoverage(ivhds);
  const log: string[] = [];
  const units: HostUnit[] = ivhds.map((h, index) => {
    const name = `${h.segment.toString(16).padStart(4, '0')}:${((h.deviceId >> 8) & 0xff).toString(16).padStart(2, '0')}:${((h.deviceId >> 3) & 0x1f).toString(16).padStart(2, '0')}.${h.deviceId & 7}`;
    const unit = new AmdViUnit({
      mem,
      segment: h.segment,
      name,
      index,
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
  return {
    signature: 'IVRS',
    units,
    unitOf: (f) => matchIvhd(ivhds, cov, f.segment, f.bdf),
    sourceIdOf: (f) => f.bdf,
    reserved,
    log,
    firmwareWarnings: warnings,
    platformOptIn: false,
  };
}
