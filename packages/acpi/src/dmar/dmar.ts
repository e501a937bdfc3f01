// SPDX-License-Identifier: Apache-2.0
// The DMAR table (VT-d spec rev 4.1 §8; ACPICA actbl1.h; facts sheet §3.2): header, host address
// width, flags, then remapping structures — DRHD (0), RMRR (1), ATSR (2), RHSA (3), ANDD (4),
// SATC (5), SIDP (6) — each with its device scopes; any other type is kept as raw bytes. Encoding
// a decoded table gives back the same bytes.

import { ByteReader, type ByteWriter } from '../bytes';
import { AcpiDecodeError } from '../errors';
import { type AcpiHeader, checkStructureLength, decodeHeader, type EncodeOptions, encodeTable } from '../header';
import { type DeviceScope, decodeScopes, encodeScopes } from './device-scope';

export const DMAR_TYPES = ['DRHD', 'RMRR', 'ATSR', 'RHSA', 'ANDD', 'SATC', 'SIDP'] as const;

export interface DmarStructure {
  type: number; // +0, u16
  name: string; // DRHD, RMRR... or UNKNOWN
  /** Fields by their spec names (numbers; 64-bit addresses as bigint). */
  fields: Record<string, number | bigint | string>;
  scopes: DeviceScope[];
  /** Structure bytes the model does not interpret (unknown types, padding); kept verbatim. */
  raw?: number[];
}

export interface DmarTable {
  header: AcpiHeader;
  hostAddressWidth: number; // +36: HAW - 1 as stored (Linux prints it + 1)
  flags: number; // +37: INTR_REMAP 0, X2APIC_OPT_OUT 1, DMA_CTRL_PLATFORM_OPT_IN 2
  reserved: number[]; // +38, 10 bytes
  structures: DmarStructure[];
}

/** Field layout per structure type: [name, offset, size] after the 4-byte type/length header, and where scopes start. */
type Field = readonly [name: string, offset: number, size: 1 | 2 | 4 | 8];
const LAYOUT: Readonly<Record<number, { fields: readonly Field[]; scopesAt: number | null }>> = {
  0: {
    fields: [
      ['Flags', 4, 1],
      ['Size', 5, 1],
      ['Segment', 6, 2],
      ['RegisterBaseAddress', 8, 8],
    ],
    scopesAt: 16,
  },
  1: {
    fields: [
      ['Reserved', 4, 2],
      ['Segment', 6, 2],
      ['BaseAddress', 8, 8],
      ['EndAddress', 16, 8],
    ],
    scopesAt: 24,
  },
  2: {
    fields: [
      ['Flags', 4, 1],
      ['Reserved', 5, 1],
      ['Segment', 6, 2],
    ],
    scopesAt: 8,
  },
  3: {
    fields: [
      ['Reserved', 4, 4],
      ['BaseAddress', 8, 8],
      ['ProximityDomain', 16, 4],
    ],
    scopesAt: null,
  },
  4: {
    fields: [
      ['Reserved0', 4, 1],
      ['Reserved1', 5, 1],
      ['Reserved2', 6, 1],
      ['DeviceNumber', 7, 1],
    ],
    scopesAt: null,
  },
  5: {
    fields: [
      ['Flags', 4, 1],
      ['Reserved', 5, 1],
      ['Segment', 6, 2],
    ],
    scopesAt: 8,
  },
  6: {
    fields: [
      ['Reserved', 4, 2],
      ['Segment', 6, 2],
    ],
    scopesAt: 8,
  },
};

const FIXED_END = (t: number): number => {
  const l = LAYOUT[t]!;
  if (l.scopesAt !== null) return l.scopesAt;
  const last = l.fields[l.fields.length - 1]!;
  return last[1] + last[2];
};

function readField(r: ByteReader, o: number, size: number, s: string): number | bigint {
  return size === 1 ? r.u8(o, s) : size === 2 ? r.u16(o, s) : size === 4 ? r.u32(o, s) : r.u64(o, s);
}

function decodeStructure(r: ByteReader, o: number, type: number, len: number): DmarStructure {
  const layout = LAYOUT[type];
  const name = DMAR_TYPES[type] ?? 'UNKNOWN';
  if (!layout || len < FIXED_END(type)) {
    if (layout)
      throw new AcpiDecodeError(
        'BAD_STRUCTURE',
        'DMAR',
        o,
        name,
        `Length ${len} is below the ${FIXED_END(type)} bytes of its fixed part`,
      );
    return { type, name, fields: {}, scopes: [], raw: [...r.slice(o + 4, len - 4, name)] };
  }
  const fields: DmarStructure['fields'] = {};
  for (const [fname, off, size] of layout.fields) fields[fname] = readField(r, o + off, size, name);
  if (layout.scopesAt !== null)
    return { type, name, fields, scopes: decodeScopes(r, o + layout.scopesAt, o + len, name) };
  const rest = [...r.slice(o + FIXED_END(type), len - FIXED_END(type), name)];
  if (type === 4)
    fields.ObjectName = String.fromCharCode(
      ...rest.slice(0, Math.max(0, rest.indexOf(0) < 0 ? rest.length : rest.indexOf(0))),
    );
  return { type, name, fields, scopes: [], raw: rest.length ? rest : undefined };
}

export function decodeDmar(bytes: Uint8Array): DmarTable {
  const r = new ByteReader(bytes, 'DMAR');
  const header = decodeHeader(r, 'DMAR');
  const t: DmarTable = {
    header,
    hostAddressWidth: r.u8(36, 'DMAR'),
    flags: r.u8(37, 'DMAR'),
    reserved: [...r.slice(38, 10, 'DMAR')],
    structures: [],
  };
  for (let o = 48; o < bytes.length; ) {
    const type = r.u16(o, 'remapping structure');
    const len = r.u16(o + 2, 'remapping structure');
    checkStructureLength(r, o, len, 4, bytes.length, DMAR_TYPES[type] ?? `type ${type}`);
    t.structures.push(decodeStructure(r, o, type, len));
    o += len;
  }
  return t;
}

function encodeStructure(w: ByteWriter, s: DmarStructure): void {
  const start = w.length;
  w.u16(s.type);
  w.u16(0);
  const layout = LAYOUT[s.type];
  if (layout) {
    for (const [fname, , size] of layout.fields) {
      const v = s.fields[fname] ?? 0;
      if (size === 8) w.u64(BigInt(v));
      else if (size === 4) w.u32(Number(v));
      else if (size === 2) w.u16(Number(v));
      else w.u8(Number(v));
    }
    if (layout.scopesAt !== null) encodeScopes(w, s.scopes);
  }
  for (const b of s.raw ?? []) w.u8(b);
  w.patchU16(start + 2, w.length - start);
}

export type { EncodeOptions };

export function encodeDmar(t: DmarTable, opts: EncodeOptions = {}): Uint8Array {
  return encodeTable(t.header, opts, (w) => {
    w.u8(t.hostAddressWidth);
    w.u8(t.flags);
    for (let i = 0; i < 10; i++) w.u8(t.reserved[i] ?? 0);
    for (const s of t.structures) encodeStructure(w, s);
  });
}
