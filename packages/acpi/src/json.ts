// SPDX-License-Identifier: Apache-2.0
// Stable JSON for decoded tables (`iofleet acpi decode --json`) and back (`acpi encode`): the
// decoded objects' own field names, 64-bit values as "0x..." strings, a "table" discriminator.

import { DMAR_TYPES, type DmarTable } from './dmar/dmar';
import { AcpiDecodeError } from './errors';
import type { IortTable } from './iort/iort';
import { NODE_FIELDS } from './iort/layout';
import type { IvrsTable } from './ivrs/ivrs';

export type DecodedTable =
  | { table: 'DMAR'; dmar: DmarTable }
  | { table: 'IVRS'; ivrs: IvrsTable }
  | { table: 'IORT'; iort: IortTable };

export function toJson(t: DecodedTable): string {
  return JSON.stringify(t, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2);
}

const BIG = (v: unknown, where: string): bigint => {
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new AcpiDecodeError(
    'BAD_INPUT',
    '',
    0,
    where,
    `expected a 64-bit value as a "0x..." string, got ${JSON.stringify(v)}`,
  );
};

/** 8-byte DMAR fields, by structure type (the rest are numbers). */
const DMAR_U64: Readonly<Record<number, readonly string[]>> = {
  0: ['RegisterBaseAddress'],
  1: ['BaseAddress', 'EndAddress'],
  3: ['BaseAddress'],
};

/** IORT: 8-byte node fields (by the layout table) and RMR descriptor addresses back to bigint. */
function iortFromJson(t: IortTable): IortTable {
  if (!Array.isArray(t.nodes) || !Array.isArray(t.padding) || !t.header)
    throw new AcpiDecodeError('BAD_INPUT', 'IORT', 0, 'JSON', 'expected "header", a "padding" and a "nodes" array');
  for (const [i, n] of t.nodes.entries()) {
    if (typeof n !== 'object' || n === null || typeof n.fields !== 'object' || !Array.isArray(n.mappings))
      throw new AcpiDecodeError('BAD_INPUT', 'IORT', 0, `nodes[${i}]`, 'expected a node with "fields" and "mappings"');
    for (const [name, , size] of NODE_FIELDS[n.type] ?? [])
      if (size === 8 && name in n.fields) n.fields[name] = BIG(n.fields[name], `nodes[${i}].fields.${name}`);
    for (const [k, d] of (n.rmrDescriptors ?? []).entries()) {
      d.baseAddress = BIG(d.baseAddress, `nodes[${i}].rmrDescriptors[${k}].baseAddress`);
      d.length = BIG(d.length, `nodes[${i}].rmrDescriptors[${k}].length`);
    }
  }
  return t;
}

export function fromJson(text: string): DecodedTable {
  let x: { table?: string; dmar?: DmarTable; ivrs?: IvrsTable; iort?: IortTable };
  try {
    x = JSON.parse(text);
  } catch (e) {
    throw new AcpiDecodeError('BAD_INPUT', '', 0, 'JSON', (e as Error).message);
  }
  if (x.table === 'DMAR' && x.dmar) {
    for (const [i, s] of x.dmar.structures.entries()) {
      for (const f of DMAR_U64[s.type] ?? [])
        if (f in s.fields) s.fields[f] = BIG(s.fields[f], `structures[${i}].fields.${f} (${DMAR_TYPES[s.type]})`);
    }
    return { table: 'DMAR', dmar: x.dmar };
  }
  if (x.table === 'IVRS' && x.ivrs) {
    x.ivrs.reserved = BIG(x.ivrs.reserved, 'reserved');
    for (const [i, b] of x.ivrs.blocks.entries()) {
      if (b.kind === 'IVHD') {
        b.baseAddress = BIG(b.baseAddress, `blocks[${i}].baseAddress`);
        if (b.efr !== undefined) b.efr = BIG(b.efr, `blocks[${i}].efr`);
        if (b.efr2 !== undefined) b.efr2 = BIG(b.efr2, `blocks[${i}].efr2`);
      } else if (b.kind === 'IVMD') {
        b.reserved = BIG(b.reserved, `blocks[${i}].reserved`);
        b.startAddress = BIG(b.startAddress, `blocks[${i}].startAddress`);
        b.memoryLength = BIG(b.memoryLength, `blocks[${i}].memoryLength`);
      }
    }
    return { table: 'IVRS', ivrs: x.ivrs };
  }
  if (x.table === 'IORT' && x.iort) return { table: 'IORT', iort: iortFromJson(x.iort) };
  throw new AcpiDecodeError(
    'BAD_INPUT',
    '',
    0,
    'JSON',
    'expected {"table": "DMAR", "dmar": ...}, {"table": "IVRS", "ivrs": ...} or {"table": "IORT", "iort": ...}',
  );
}
