// SPDX-License-Identifier: Apache-2.0
// What firmware writers get wrong, as Linux's DMAR and IVRS parsers notice it
// (drivers/iommu/intel/dmar.c: dmar_parse_one_drhd, dmar_validate_one_drhd, dmar_parse_one_rmrr /
// arch_rmrr_sanity_check; drivers/iommu/amd/init.c: check_ivrs_checksum, init_iommu_from_acpi).

import { isPciScope, SCOPE_TYPE_NAMES } from './dmar/device-scope';
import type { DmarTable } from './dmar/dmar';
import { byteSum } from './header';
import { IVHD_ENTRY, isRangeStart } from './ivrs/device-entries';
import type { IvrsTable } from './ivrs/ivrs';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  /** Index of the structure/block, when the finding is about one. */
  structure?: number;
}

const hex = (v: bigint | number) => `0x${v.toString(16)}`;

/**
 * The line Linux prints when a table's bytes do not sum to 0: ACPICA's acpi_tb_verify_checksum()
 * (utcksum.c acpi_ut_verify_checksum() in recent kernels) through ACPI_BIOS_WARNING, without the
 * "(<ACPICA version>/<module>-<line>)" suffix ACPICA appends. "should be" is the Checksum byte
 * (offset 9) that would make the sum 0. Linux goes on using the table; undefined when the sum holds.
 */
export function linuxChecksumWarning(bytes: Uint8Array): string | undefined {
  const sum = byteSum(bytes);
  if (sum === 0 || bytes.length < 10) return undefined;
  const sig = String.fromCharCode(...bytes.subarray(0, 4));
  const byte = (v: number) => `0x${v.toString(16).toUpperCase().padStart(2, '0')}`;
  return `ACPI BIOS Warning (bug): Incorrect checksum in table [${sig}] - ${byte(bytes[9]!)}, should be ${byte((bytes[9]! - sum) & 0xff)}`;
}

export function validateChecksum(bytes: Uint8Array, sig: string): Finding[] {
  const line = linuxChecksumWarning(bytes);
  if (!line) return [];
  // drivers/iommu/amd/init.c check_ivrs_checksum(): the AMD driver refuses a corrupt IVRS (-ENODEV).
  const refused =
    sig === 'IVRS'
      ? ', and the AMD IOMMU driver refuses the table ("AMD-Vi: [Firmware Bug]: IVRS invalid checksum")'
      : '';
  return [
    {
      severity: 'error',
      code: 'CHECKSUM',
      message: `${sig} checksum is wrong: the bytes sum to 0x${byteSum(bytes).toString(16)}, not 0; Linux prints "${line}"${refused}`,
    },
  ];
}

export function validateDmar(t: DmarTable): Finding[] {
  const out: Finding[] = [];
  if (t.hostAddressWidth + 1 < 39)
    out.push({
      severity: 'warning',
      code: 'HAW',
      message: `host address width ${t.hostAddressWidth + 1} is below 39 bits`,
    });
  const includeAllSeen = new Map<number, number>();
  const rmrrs: { i: number; base: bigint; end: bigint }[] = [];
  for (const [i, s] of t.structures.entries()) {
    const f = s.fields;
    if (s.type === 0) {
      const seg = Number(f.Segment);
      if (BigInt(f.RegisterBaseAddress ?? 0) === 0n)
        out.push({
          severity: 'error',
          code: 'DRHD_BASE_ZERO',
          structure: i,
          message: 'DRHD register base address is 0 (Linux: "Your BIOS is broken; DMAR reported at address zero!")',
        });
      if (includeAllSeen.has(seg))
        out.push({
          severity: 'error',
          code: 'INCLUDE_ALL_NOT_LAST',
          structure: i,
          message: `DRHD in segment ${seg} follows the segment's INCLUDE_PCI_ALL unit (structure ${includeAllSeen.get(seg)}); it must be last`,
        });
      if (Number(f.Flags) & 1) {
        includeAllSeen.set(seg, i);
        if (s.scopes.some((x) => isPciScope(x.type)))
          out.push({
            severity: 'warning',
            code: 'INCLUDE_ALL_PCI_SCOPE',
            structure: i,
            message: 'INCLUDE_PCI_ALL DRHD lists PCI device scopes',
          });
      }
    }
    if (s.type === 1) {
      const base = BigInt(f.BaseAddress ?? 0);
      const end = BigInt(f.EndAddress ?? 0);
      if (end < base || base % 4096n !== 0n || (end + 1n) % 4096n !== 0n) {
        out.push({
          severity: 'error',
          code: 'RMRR_BAD_RANGE',
          structure: i,
          message: `Your BIOS is broken; bad RMRR [${hex(base)}-${hex(end)}]`,
        });
      }
      for (const r of rmrrs)
        if (base <= r.end && r.base <= end)
          out.push({
            severity: 'warning',
            code: 'RMRR_OVERLAP',
            structure: i,
            message: `RMRR [${hex(base)}-${hex(end)}] overlaps RMRR ${r.i} [${hex(r.base)}-${hex(r.end)}]`,
          });
      rmrrs.push({ i, base, end });
      if (s.scopes.length === 0)
        out.push({ severity: 'warning', code: 'RMRR_NO_SCOPE', structure: i, message: 'RMRR with no device scope' });
    }
    for (const sc of s.scopes) {
      if (SCOPE_TYPE_NAMES[sc.type] === undefined)
        out.push({
          severity: 'warning',
          code: 'SCOPE_TYPE',
          structure: i,
          message: `device scope of reserved type ${sc.type}`,
        });
      if (isPciScope(sc.type) && sc.path.length === 0)
        out.push({
          severity: 'error',
          code: 'SCOPE_EMPTY_PATH',
          structure: i,
          message: 'PCI device scope without a path',
        });
    }
    if (s.name === 'UNKNOWN')
      out.push({
        severity: 'info',
        code: 'UNKNOWN_TYPE',
        structure: i,
        message: `remapping structure of unknown type ${s.type} kept as raw bytes`,
      });
  }
  if (!t.structures.some((s) => s.type === 0))
    out.push({ severity: 'error', code: 'NO_DRHD', message: 'no DRHD: the table describes no IOMMU' });
  return out;
}

export function validateIvrs(t: IvrsTable): Finding[] {
  const out: Finding[] = [];
  for (const [i, b] of t.blocks.entries()) {
    if (b.kind === 'RAW') {
      out.push({
        severity: 'info',
        code: 'UNKNOWN_BLOCK',
        structure: i,
        message: `block of unknown type ${b.type.toString(16)}h kept as raw bytes (Linux skips it by its length)`,
      });
      continue;
    }
    if (b.kind === 'IVMD') {
      if (b.memoryLength === 0n)
        out.push({ severity: 'warning', code: 'IVMD_EMPTY', structure: i, message: 'IVMD with zero length' });
      if (b.startAddress % 4096n !== 0n)
        out.push({
          severity: 'warning',
          code: 'IVMD_ALIGN',
          structure: i,
          message: `IVMD start ${hex(b.startAddress)} is not page aligned`,
        });
      continue;
    }
    if (b.baseAddress === 0n)
      out.push({ severity: 'error', code: 'IVHD_BASE_ZERO', structure: i, message: 'IVHD with MMIO base address 0' });
    let open = -1;
    for (const e of b.entries) {
      if (isRangeStart(e.type)) {
        if (open >= 0)
          out.push({
            severity: 'warning',
            code: 'RANGE_NOT_CLOSED',
            structure: i,
            message: `range starting at DeviceID ${hex(open)} is not closed before another starts`,
          });
        open = e.deviceId;
      } else if (e.type === IVHD_ENTRY.END) {
        if (open < 0)
          out.push({
            severity: 'warning',
            code: 'RANGE_END_WITHOUT_START',
            structure: i,
            message: `range end at DeviceID ${hex(e.deviceId)} without a start`,
          });
        else if (e.deviceId < open)
          out.push({
            severity: 'error',
            code: 'RANGE_BACKWARDS',
            structure: i,
            message: `range ${hex(open)}..${hex(e.deviceId)} ends before it starts`,
          });
        open = -1;
      }
      if (e.type === IVHD_ENTRY.ACPI_HID && b.type !== 0x40)
        out.push({
          severity: 'error',
          code: 'ACPI_HID_IN_OLD_IVHD',
          structure: i,
          message: 'ACPI HID entry in an IVHD other than type 40h',
        });
    }
    if (open >= 0)
      out.push({
        severity: 'error',
        code: 'RANGE_NOT_CLOSED',
        structure: i,
        message: `IVHD range starting at DeviceID ${hex(open)} is never closed`,
      });
  }
  if (!t.blocks.some((b) => b.kind === 'IVHD'))
    out.push({ severity: 'error', code: 'NO_IVHD', message: 'no IVHD: the table describes no IOMMU' });
  return out;
}
