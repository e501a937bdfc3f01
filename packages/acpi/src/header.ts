// SPDX-License-Identifier: Apache-2.0
// The common ACPI table header (ACPI spec 6.5 §5.2.6; ACPICA actbl.h ACPI_TABLE_HEADER): 36 bytes,
// and the checksum that makes the 8-bit sum of all Length bytes zero.

import { type ByteReader, ByteWriter } from './bytes';
import { AcpiDecodeError } from './errors';

export const ACPI_HEADER_LENGTH = 36;

export interface AcpiHeader {
  signature: string; // +0, 4 bytes
  length: number; // +4, u32: the whole table
  revision: number; // +8
  checksum: number; // +9
  oemId: string; // +10, 6 bytes
  oemTableId: string; // +16, 8 bytes
  oemRevision: number; // +24, u32
  creatorId: string; // +28, 4 bytes (ASL compiler id)
  creatorRevision: number; // +32, u32
}

/**
 * The header of the table `r` reads; with `signature`, a table of another signature is refused
 * (BAD_SIGNATURE) before anything else is decoded.
 */
export function decodeHeader(r: ByteReader, signature?: string): AcpiHeader {
  const h: AcpiHeader = {
    signature: r.ascii(0, 4, 'header'),
    length: r.u32(4, 'header'),
    revision: r.u8(8, 'header'),
    checksum: r.u8(9, 'header'),
    oemId: r.ascii(10, 6, 'header'),
    oemTableId: r.ascii(16, 8, 'header'),
    oemRevision: r.u32(24, 'header'),
    creatorId: r.ascii(28, 4, 'header'),
    creatorRevision: r.u32(32, 'header'),
  };
  if (h.length !== r.length) {
    throw new AcpiDecodeError(
      'BAD_LENGTH',
      h.signature,
      4,
      'header',
      `Length field says ${h.length} bytes, the table has ${r.length}`,
    );
  }
  if (signature !== undefined && h.signature !== signature) {
    const article = /^[AEIOU]/.test(signature) ? 'an' : 'a';
    throw new AcpiDecodeError('BAD_SIGNATURE', h.signature, 0, 'header', `not ${article} ${signature} table`);
  }
  return h;
}

/**
 * Checks the Length of the sub-structure `what` at offset `o`: at least its `min`-byte header and
 * inside the bytes up to `end`; else a BAD_STRUCTURE error that says where.
 */
export function checkStructureLength(
  r: ByteReader,
  o: number,
  len: number,
  min: number,
  end: number,
  what: string,
): void {
  if (len < min || o + len > end)
    throw new AcpiDecodeError('BAD_STRUCTURE', r.signature, o, what, `Length ${len} does not fit (${min}..${end - o})`);
}

export function encodeHeader(w: ByteWriter, h: AcpiHeader): void {
  w.ascii(h.signature, 4);
  w.u32(h.length);
  w.u8(h.revision);
  w.u8(h.checksum);
  w.ascii(h.oemId, 6);
  w.ascii(h.oemTableId, 8);
  w.u32(h.oemRevision);
  w.ascii(h.creatorId, 4);
  w.u32(h.creatorRevision);
}

/** 8-bit sum of all bytes (0 for a valid table). */
export function byteSum(bytes: Uint8Array): number {
  let s = 0;
  for (const b of bytes) s = (s + b) & 0xff;
  return s;
}

/** The checksum byte (offset 9) that makes the table sum to zero. */
export function computeChecksum(bytes: Uint8Array): number {
  const rest = (byteSum(bytes) - bytes[9]!) & 0xff;
  return (256 - rest) & 0xff;
}

export interface EncodeOptions {
  /** Recompute Length and Checksum (default: keep the header's, for byte-identical round trips). */
  fixChecksum?: boolean;
}

/**
 * Encodes a table: its header, then what `body` writes. Length and Checksum are recomputed when
 * asked, or when the header's Length is not the table's (a decoded table edited, or built).
 */
export function encodeTable(header: AcpiHeader, opts: EncodeOptions, body: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter();
  encodeHeader(w, header);
  body(w);
  const out = w.finish();
  if (opts.fixChecksum || header.length !== out.length) {
    new DataView(out.buffer).setUint32(4, out.length, true);
    out[9] = computeChecksum(out);
  }
  return out;
}
