// SPDX-License-Identifier: Apache-2.0
// The IVRS table (AMD IOMMU spec #48882 §5.2; ACPICA actbl2.h; facts sheet §3.3): header,
// IVinfo, then IVHD blocks (types 10h, 11h, 40h) with their device entries, and IVMD blocks
// (20h, 21h, 22h); other block types are kept as raw bytes. Encoding a decoded table gives back
// the same bytes.

import { ByteReader, type ByteWriter } from '../bytes';
import { AcpiDecodeError } from '../errors';
import { type AcpiHeader, checkStructureLength, decodeHeader, type EncodeOptions, encodeTable } from '../header';
import { decodeEntries, encodeEntries, type IvhdEntry } from './device-entries';

export interface IvhdBlock {
  kind: 'IVHD';
  type: number; // +0: 0x10, 0x11, 0x40
  flags: number; // +1
  deviceId: number; // +4: the IOMMU's own requester id
  capabilityOffset: number; // +6
  baseAddress: bigint; // +8
  segment: number; // +16
  info: number; // +18: MSI number 4:0, UnitID 12:8
  attributes: number; // +20: feature reporting (10h) or attributes (11h/40h)
  efr?: bigint; // +24 (11h/40h)
  efr2?: bigint; // +32 (11h/40h; reserved in older specs)
  entries: IvhdEntry[];
}

export interface IvmdBlock {
  kind: 'IVMD';
  type: number; // 0x20 all, 0x21 one device, 0x22 range
  flags: number; // Unity 0, IR 1, IW 2, ExclusionRange 3
  deviceId: number; // +4
  auxData: number; // +6: range end for 0x22
  reserved: bigint; // +8 (newer Linux: segment in bytes 8-9)
  startAddress: bigint; // +16
  memoryLength: bigint; // +24
}

export interface RawBlock {
  kind: 'RAW';
  type: number;
  bytes: number[];
}

export type IvrsBlock = IvhdBlock | IvmdBlock | RawBlock;

export interface IvrsTable {
  header: AcpiHeader;
  ivInfo: number; // +36
  reserved: bigint; // +40
  blocks: IvrsBlock[];
}

export function ivhdHeaderLength(type: number): number {
  return type === 0x10 ? 24 : 40;
}

/** What IVHD and IVMD blocks start with: Type (+0), Flags (+1), Length (+2), DeviceID (+4). */
function blockHead(r: ByteReader, o: number, what: string): { type: number; flags: number; deviceId: number } {
  return { type: r.u8(o, what), flags: r.u8(o + 1, what), deviceId: r.u16(o + 4, what) };
}

function decodeIvhd(r: ByteReader, o: number, len: number): IvhdBlock {
  const type = r.u8(o, 'IVHD');
  const hl = ivhdHeaderLength(type);
  if (len < hl)
    throw new AcpiDecodeError(
      'BAD_STRUCTURE',
      'IVRS',
      o,
      `IVHD ${type.toString(16)}h`,
      `Length ${len} is below its ${hl}-byte header`,
    );
  const b: IvhdBlock = {
    kind: 'IVHD',
    ...blockHead(r, o, 'IVHD'),
    capabilityOffset: r.u16(o + 6, 'IVHD'),
    baseAddress: r.u64(o + 8, 'IVHD'),
    segment: r.u16(o + 16, 'IVHD'),
    info: r.u16(o + 18, 'IVHD'),
    attributes: r.u32(o + 20, 'IVHD'),
    entries: [],
  };
  if (hl === 40) {
    b.efr = r.u64(o + 24, 'IVHD');
    b.efr2 = r.u64(o + 32, 'IVHD');
  }
  b.entries = decodeEntries(r, o + hl, o + len, type);
  return b;
}

function decodeIvmd(r: ByteReader, o: number, len: number): IvmdBlock {
  if (len < 32) throw new AcpiDecodeError('BAD_STRUCTURE', 'IVRS', o, 'IVMD', `Length ${len} is below 32`);
  return {
    kind: 'IVMD',
    ...blockHead(r, o, 'IVMD'),
    auxData: r.u16(o + 6, 'IVMD'),
    reserved: r.u64(o + 8, 'IVMD'),
    startAddress: r.u64(o + 16, 'IVMD'),
    memoryLength: r.u64(o + 24, 'IVMD'),
  };
}

export function decodeIvrs(bytes: Uint8Array): IvrsTable {
  const r = new ByteReader(bytes, 'IVRS');
  const header = decodeHeader(r, 'IVRS');
  const t: IvrsTable = { header, ivInfo: r.u32(36, 'IVRS'), reserved: r.u64(40, 'IVRS'), blocks: [] };
  for (let o = 48; o < bytes.length; ) {
    const type = r.u8(o, 'IVRS block');
    const len = r.u16(o + 2, 'IVRS block');
    checkStructureLength(r, o, len, 4, bytes.length, `block type ${type.toString(16)}h`);
    if (type === 0x10 || type === 0x11 || type === 0x40) t.blocks.push(decodeIvhd(r, o, len));
    else if (type >= 0x20 && type <= 0x22 && len === 32) t.blocks.push(decodeIvmd(r, o, len));
    else t.blocks.push({ kind: 'RAW', type, bytes: [...r.slice(o, len, 'IVRS block')] });
    o += len;
  }
  return t;
}

function encodeBlock(w: ByteWriter, b: IvrsBlock): void {
  if (b.kind === 'RAW') {
    for (const x of b.bytes) w.u8(x);
    return;
  }
  const start = w.length;
  w.u8(b.type);
  w.u8(b.flags);
  w.u16(0);
  w.u16(b.deviceId);
  if (b.kind === 'IVMD') {
    w.u16(b.auxData);
    w.u64(b.reserved);
    w.u64(b.startAddress);
    w.u64(b.memoryLength);
  } else {
    w.u16(b.capabilityOffset);
    w.u64(b.baseAddress);
    w.u16(b.segment);
    w.u16(b.info);
    w.u32(b.attributes);
    if (ivhdHeaderLength(b.type) === 40) {
      w.u64(b.efr ?? 0n);
      w.u64(b.efr2 ?? 0n);
    }
    encodeEntries(w, b.entries);
  }
  w.patchU16(start + 2, w.length - start);
}

export function encodeIvrs(t: IvrsTable, opts: EncodeOptions = {}): Uint8Array {
  return encodeTable(t.header, opts, (w) => {
    w.u32(t.ivInfo);
    w.u64(t.reserved);
    for (const b of t.blocks) encodeBlock(w, b);
  });
}
