// SPDX-License-Identifier: Apache-2.0
// IVHD device entries (AMD IOMMU spec #48882 §5.2.2.2; facts sheet §3.3). The entry size is in
// the type: 00h-3Fh 4 bytes, 40h-7Fh 8 bytes, 80h-BFh 16, C0h-EFh 32, F0h variable (ACPI HID,
// 22 bytes + UID). Types the model names are decoded to fields; the rest keep their bytes.

import type { ByteReader, ByteWriter } from '../bytes';
import { AcpiDecodeError } from '../errors';

/**
 * Device entry types the model names (Linux IVHD_DEV_*: SELECT_RANGE_START is START, RANGE_END is
 * END, ALIAS is ALIAS_SELECT, ALIAS_RANGE is ALIAS_START, EXT_SELECT_RANGE is EXT_START).
 */
export const IVHD_ENTRY = {
  PAD4: 0x00,
  ALL: 0x01,
  SELECT: 0x02,
  START: 0x03,
  END: 0x04,
  PAD8: 0x40,
  ALIAS_SELECT: 0x42,
  ALIAS_START: 0x43,
  EXT_SELECT: 0x46,
  EXT_START: 0x47,
  SPECIAL: 0x48,
  ACPI_HID: 0xf0,
} as const;

export const IVHD_ENTRY_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(IVHD_ENTRY).map(([name, type]) => [type, name]),
);

/** An entry that opens a range closed by END: START, ALIAS_START or EXT_START. */
export function isRangeStart(type: number): boolean {
  return type === IVHD_ENTRY.START || type === IVHD_ENTRY.ALIAS_START || type === IVHD_ENTRY.EXT_START;
}

const isAlias = (type: number) => type === IVHD_ENTRY.ALIAS_SELECT || type === IVHD_ENTRY.ALIAS_START;
const isExt = (type: number) => type === IVHD_ENTRY.EXT_SELECT || type === IVHD_ENTRY.EXT_START;

export interface IvhdEntry {
  type: number; // +0
  deviceId: number; // +1
  data: number; // +3: DTE setting
  /** Alias DeviceID (42h/43h). */
  aliasDeviceId?: number;
  /** Extended data (46h/47h; bit 31 = ATS disabled). */
  extData?: number;
  /** Special (48h): handle (IOAPIC id / HPET number), used DeviceID, variety (1 IOAPIC, 2 HPET). */
  handle?: number;
  usedDeviceId?: number;
  variety?: number;
  /** ACPI HID (F0h). */
  hid?: string;
  cid?: string;
  uidFormat?: number;
  uid?: number[];
  /** Bytes of the entry beyond the fields above (reserved bytes, unnamed types); kept verbatim. */
  rest?: number[];
}

export function entrySize(r: ByteReader, o: number, end: number): number {
  const type = r.u8(o, 'IVHD entry');
  if (type === IVHD_ENTRY.ACPI_HID) return 22 + r.u8(o + 21, 'ACPI_HID entry');
  if (type < 0x40) return 4;
  if (type < 0x80) return 8;
  if (type < 0xc0) return 16;
  if (type < 0xf0) return 32;
  throw new AcpiDecodeError(
    'BAD_STRUCTURE',
    'IVRS',
    o,
    'IVHD entry',
    `type ${type.toString(16)}h has no defined length (block ends at ${end})`,
  );
}

export function decodeEntries(r: ByteReader, start: number, end: number, blockType: number): IvhdEntry[] {
  const out: IvhdEntry[] = [];
  for (let o = start; o < end; ) {
    const size = entrySize(r, o, end);
    if (o + size > end)
      throw new AcpiDecodeError(
        'BAD_STRUCTURE',
        'IVRS',
        o,
        `IVHD ${blockType.toString(16)}h entry`,
        `entry of ${size} bytes runs past the block end ${end}`,
      );
    const e: IvhdEntry = { type: r.u8(o, 'entry'), deviceId: r.u16(o + 1, 'entry'), data: r.u8(o + 3, 'entry') };
    let used = 4;
    if (isAlias(e.type)) {
      e.rest = [r.u8(o + 4, 'entry')];
      e.aliasDeviceId = r.u16(o + 5, 'entry');
      e.rest.push(r.u8(o + 7, 'entry'));
      used = 8;
    } else if (isExt(e.type)) {
      e.extData = r.u32(o + 4, 'entry');
      used = 8;
    } else if (e.type === IVHD_ENTRY.SPECIAL) {
      e.handle = r.u8(o + 4, 'entry');
      e.usedDeviceId = r.u16(o + 5, 'entry');
      e.variety = r.u8(o + 7, 'entry');
      used = 8;
    } else if (e.type === IVHD_ENTRY.ACPI_HID) {
      e.hid = r.ascii(o + 4, 8, 'entry');
      e.cid = r.ascii(o + 12, 8, 'entry');
      e.uidFormat = r.u8(o + 20, 'entry');
      e.uid = [...r.slice(o + 22, size - 22, 'entry')];
      used = size;
    }
    if (used < size) e.rest = [...(e.rest ?? []), ...r.slice(o + used, size - used, 'entry')];
    out.push(e);
    o += size;
  }
  return out;
}

export function encodeEntries(w: ByteWriter, entries: readonly IvhdEntry[]): void {
  for (const e of entries) {
    w.u8(e.type);
    w.u16(e.deviceId);
    w.u8(e.data);
    if (isAlias(e.type)) {
      w.u8(e.rest?.[0] ?? 0);
      w.u16(e.aliasDeviceId ?? 0);
      w.u8(e.rest?.[1] ?? 0);
      continue;
    }
    if (isExt(e.type)) w.u32(e.extData ?? 0);
    else if (e.type === IVHD_ENTRY.SPECIAL) {
      w.u8(e.handle ?? 0);
      w.u16(e.usedDeviceId ?? 0);
      w.u8(e.variety ?? 0);
    } else if (e.type === IVHD_ENTRY.ACPI_HID) {
      w.ascii(e.hid ?? '', 8);
      w.ascii(e.cid ?? '', 8);
      w.u8(e.uidFormat ?? 0);
      w.u8(e.uid?.length ?? 0);
      for (const b of e.uid ?? []) w.u8(b);
      continue;
    }
    for (const b of e.rest ?? []) w.u8(b);
  }
}
