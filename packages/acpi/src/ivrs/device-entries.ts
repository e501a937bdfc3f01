// SPDX-License-Identifier: Apache-2.0
// IVHD device entries (AMD IOMMU spec #48882 §5.2.2.2; facts sheet §3.3). The entry size is in
// the type: 00h-3Fh 4 bytes, 40h-7Fh 8 bytes, 80h-BFh 16, C0h-EFh 32, F0h variable (ACPI HID,
// 22 bytes + UID). Types the model names are decoded to fields; the rest keep their bytes.

import type { ByteReader, ByteWriter } from '../bytes';
import { AcpiDecodeError } from '../errors';

export const IVHD_ENTRY_NAMES: Readonly<Record<number, string>> = {
  0: 'PAD4',
  1: 'ALL',
  2: 'SELECT',
  3: 'START',
  4: 'END',
  64: 'PAD8',
  66: 'ALIAS_SELECT',
  67: 'ALIAS_START',
  70: 'EXT_SELECT',
  71: 'EXT_START',
  72: 'SPECIAL',
  240: 'ACPI_HID',
};

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
  if (type === 0xf0) return 22 + r.u8(o + 21, 'ACPI_HID entry');
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
    if (e.type === 0x42 || e.type === 0x43) {
      e.rest = [r.u8(o + 4, 'entry')];
      e.aliasDeviceId = r.u16(o + 5, 'entry');
      e.rest.push(r.u8(o + 7, 'entry'));
      used = 8;
    } else if (e.type === 0x46 || e.type === 0x47) {
      e.extData = r.u32(o + 4, 'entry');
      used = 8;
    } else if (e.type === 0x48) {
      e.handle = r.u8(o + 4, 'entry');
      e.usedDeviceId = r.u16(o + 5, 'entry');
      e.variety = r.u8(o + 7, 'entry');
      used = 8;
    } else if (e.type === 0xf0) {
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
    if (e.type === 0x42 || e.type === 0x43) {
      w.u8(e.rest?.[0] ?? 0);
      w.u16(e.aliasDeviceId ?? 0);
      w.u8(e.rest?.[1] ?? 0);
      continue;
    }
    if (e.type === 0x46 || e.type === 0x47) w.u32(e.extData ?? 0);
    else if (e.type === 0x48) {
      w.u8(e.handle ?? 0);
      w.u16(e.usedDeviceId ?? 0);
      w.u8(e.variety ?? 0);
    } else if (e.type === 0xf0) {
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
