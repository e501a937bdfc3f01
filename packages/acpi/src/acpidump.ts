// SPDX-License-Identifier: Apache-2.0
// Reads the text output of ACPICA's `acpidump` (all tables of a machine in hex): a line
// `DMAR @ 0x00000000ba123000` starts a table, followed by lines `    0000: 44 4D 41 52 ...  DMAR...`
// (offset, up to 16 hex bytes, ASCII). Also detects raw binary input, so a file may be either.

import { AcpiDecodeError } from './errors';

const TABLE_LINE = /^\s*([A-Z0-9_]{4})\s*@\s*0x[0-9a-fA-F]+\s*$/;
const HEX_LINE = /^\s*([0-9a-fA-F]{4,8}):\s((?:[0-9a-fA-F]{2} ){1,16})/;

/** Bound on tables read from one dump (a dump of a real machine has a few dozen). */
export const MAX_DUMP_TABLES = 4096;

export function parseAcpidump(text: string): Map<string, Uint8Array[]> {
  const tables = new Map<string, Uint8Array[]>();
  let sig: string | null = null;
  let bytes: number[] = [];
  const flush = () => {
    if (sig === null) return;
    const list = tables.get(sig) ?? [];
    list.push(Uint8Array.from(bytes));
    tables.set(sig, list);
    if ([...tables.values()].reduce((n, l) => n + l.length, 0) > MAX_DUMP_TABLES) {
      throw new AcpiDecodeError('BAD_INPUT', sig, 0, 'acpidump', `more than ${MAX_DUMP_TABLES} tables`);
    }
  };
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const t = TABLE_LINE.exec(line);
    if (t) {
      flush();
      sig = t[1]!;
      bytes = [];
      continue;
    }
    const h = HEX_LINE.exec(line);
    if (!h || sig === null) continue;
    const offset = Number.parseInt(h[1]!, 16);
    if (offset !== bytes.length) {
      throw new AcpiDecodeError(
        'BAD_INPUT',
        sig,
        bytes.length,
        'acpidump',
        `line ${i + 1}: offset ${h[1]} out of sequence`,
      );
    }
    for (const pair of h[2]!.trim().split(' ')) bytes.push(Number.parseInt(pair, 16));
  }
  flush();
  return tables;
}

/** The acpidump text form of one table (for tests and for users who want it). */
export function formatAcpidump(signature: string, bytes: Uint8Array, address = 0): string {
  const lines = [`${signature} @ 0x${address.toString(16).padStart(16, '0')}`];
  for (let o = 0; o < bytes.length; o += 16) {
    const row = [...bytes.subarray(o, o + 16)];
    const hex = row.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`    ${o.toString(16).toUpperCase().padStart(4, '0')}: ${hex.padEnd(48)} ${ascii}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The table with `signature` (default: the first of DMAR, IVRS, IORT found) from a file's contents:
 * a raw binary table, or acpidump text.
 * Throws a typed error when it is not there.
 */
/** The IOMMU tables this package decodes, in the order pickTable() looks for them in a dump. */
export const IOMMU_TABLE_SIGNATURES = ['DMAR', 'IVRS', 'IORT'] as const;
export type IommuTableSignature = (typeof IOMMU_TABLE_SIGNATURES)[number];

export function pickTable(
  contents: Uint8Array,
  signature?: IommuTableSignature,
): { signature: IommuTableSignature; bytes: Uint8Array } {
  const head = String.fromCharCode(...contents.subarray(0, 4));
  const known = (IOMMU_TABLE_SIGNATURES as readonly string[]).includes(head);
  if (known) {
    if (signature && head !== signature)
      throw new AcpiDecodeError('BAD_SIGNATURE', head, 0, 'header', `expected ${signature}`);
    return { signature: head as IommuTableSignature, bytes: contents };
  }
  const tables = parseAcpidump(new TextDecoder('latin1').decode(contents));
  for (const s of signature ? [signature] : IOMMU_TABLE_SIGNATURES) {
    const found = tables.get(s)?.[0];
    if (found) return { signature: s, bytes: found };
  }
  throw new AcpiDecodeError(
    'BAD_INPUT',
    signature ?? '',
    0,
    'input',
    'neither a DMAR/IVRS/IORT table nor acpidump output containing one',
  );
}
