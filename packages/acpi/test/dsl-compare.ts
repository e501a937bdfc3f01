// SPDX-License-Identifier: Apache-2.0
// Compares a decoded DMAR/IVRS with an iasl disassembly (`iasl -d` .dsl), field by field and in
// order: used by dsl-agreement.test.ts (the rules are described there). IORT: dsl-compare-iort.ts.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import {
  DMAR_TYPES,
  type DmarStructure,
  decodeDmar,
  decodeIvrs,
  type IvhdEntry,
  type IvrsBlock,
  ivhdHeaderLength,
  scopeLength,
} from '../src/index';
import { type DslField, type DslNode, type DslScope, type DslSubtable, type DslTable, structureDsl } from './dsl';
import { compareIort } from './dsl-compare-iort';
import { FIX, fixtureFiles } from './fixture-files';

export function dslFiles(): string[] {
  return fixtureFiles((name) => name.endsWith('.dsl'));
}

/** The binary a .dsl disassembles: X.dsl → X / X.dat / X.aml; X.by-iaslNNNN.dsl → the same. */
export function tableFor(dsl: string): string {
  const base = dsl.replace(/\.dsl$/, '').replace(/\.by-iasl\d+$/, '');
  const found = [base, `${base}.dat`, `${base}.aml`].find((p) => /\.(dat|aml)$/.test(p) && existsSync(p));
  if (!found) throw new Error(`no table beside ${dsl}`);
  return found;
}

export type Ours = number | bigint | string | number[] | undefined;

/**
 * A fixed-size ACPI string as iasl prints it (ACPICA AcpiUtCheckAndRepairAscii): up to the first
 * NUL, with each non-printable character shown as a space.
 */
const cstr = (s: string): string => s.replace(/\0[\s\S]*$/, '').replace(/[^\x20-\x7e]/g, ' ');
const leU64 = (s: string): bigint => [...s].reduceRight((a, c) => (a << 8n) | BigInt(c.charCodeAt(0) & 0xff), 0n);
const leNum = (b: readonly number[]): bigint => b.reduceRight((a, x) => (a << 8n) | BigInt(x), 0n);
const hex = (v: number | bigint): string => `0x${v.toString(16).toUpperCase()}`;

/** Compares iasl's values with the decoder's, counting what was compared and what iasl printed that was not. */
export class Agreement {
  compared = 0;
  readonly problems: string[] = [];
  private readonly used = new Set<DslField>();

  /** Compare the first field named one of `names` in `node`, if iasl printed it. */
  field(where: string, node: DslNode, names: string | string[], ours: Ours): void {
    this.value(where, node.get(...(Array.isArray(names) ? names : [names])), ours);
  }

  value(where: string, f: DslField | undefined, ours: Ours): void {
    if (!f) return;
    this.used.add(f);
    this.compared++;
    const at = `${where} ${f.name} (dsl line ${f.line})`;
    if (ours === undefined) {
      this.problems.push(`${at}: iasl shows ${f.text.trim()}, the decoder has no value`);
    } else if (f.str !== undefined) {
      const got =
        typeof ours === 'string' ? cstr(ours) : Array.isArray(ours) ? cstr(String.fromCharCode(...ours)) : ours;
      if (got !== f.str) this.problems.push(`${at}: iasl "${f.str}", decoder ${JSON.stringify(got)}`);
    } else if (f.num !== undefined) {
      const got = typeof ours === 'string' ? leU64(ours) : Array.isArray(ours) ? leNum(ours) : BigInt(ours);
      if (got !== f.num) this.problems.push(`${at}: iasl ${hex(f.num)}, decoder ${hex(got)}`);
    } else if (f.bytes !== undefined) {
      if (JSON.stringify(f.bytes) !== JSON.stringify(ours))
        this.problems.push(`${at}: iasl ${JSON.stringify(f.bytes)}, decoder ${JSON.stringify(ours)}`);
    } else {
      this.problems.push(`${at}: cannot read iasl's value ${JSON.stringify(f.text)}`);
    }
  }

  /** Compare a count or an offset that the model implies (no single dsl field). */
  same(where: string, what: string, dsl: number, ours: number): void {
    this.compared++;
    if (dsl !== ours) this.problems.push(`${where}: ${what}: iasl ${dsl}, decoder ${ours}`);
  }

  /** Every field iasl printed for this node must have been compared. */
  allUsed(where: string, node: DslNode, alsoOk: readonly string[] = []): void {
    for (const f of node.fields)
      if (!this.used.has(f) && !alsoOk.includes(f.name))
        this.problems.push(`${where}: iasl field "${f.name}" (dsl line ${f.line}) is not compared`);
  }
}

function header(a: Agreement, t: DslTable, h: ReturnType<typeof decodeDmar>['header']): void {
  const fields: [string, Ours][] = [
    ['Signature', h.signature],
    ['Table Length', h.length],
    ['Revision', h.revision],
    ['Checksum', h.checksum],
    ['Oem ID', h.oemId],
    ['Oem Table ID', h.oemTableId],
    ['Oem Revision', h.oemRevision],
    ['Asl Compiler ID', h.creatorId],
    ['Asl Compiler Revision', h.creatorRevision],
  ];
  for (const [name, ours] of fields) {
    const f = t.header.get(name);
    if (!f) a.problems.push(`header: iasl printed no "${name}"`);
    a.value('header', f, ours);
  }
}

function histogram(types: readonly string[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const x of types) h[x] = (h[x] ?? 0) + 1;
  return h;
}

/**
 * Subtables iasl listed, paired in order with the decoder's. iasl 20200925 stops a DMAR at the
 * first subtable type it does not know, so the listing may end early — but only right after a
 * subtable it called unknown.
 */
function pairSubtables<T>(
  a: Agreement,
  t: DslTable,
  ours: readonly T[],
  typeOf: (x: T) => number,
  name: (n: number) => string,
) {
  const dslTypes = t.subtables.map((s) => s.node.type);
  const last = t.subtables[t.subtables.length - 1];
  const truncated = dslTypes.length < ours.length && last?.unknown === true;
  const n = truncated ? dslTypes.length : ours.length;
  if (!truncated) a.same('table', 'number of subtables', dslTypes.length, ours.length);
  const dslHist = histogram(dslTypes.map(name));
  const ourHist = histogram(ours.slice(0, n).map((x) => name(typeOf(x))));
  for (const k of new Set([...Object.keys(dslHist), ...Object.keys(ourHist)]))
    a.same('table', `count of ${k} subtables`, dslHist[k] ?? 0, ourHist[k] ?? 0);
  const pairs: [DslSubtable, T, number][] = [];
  for (let i = 0; i < Math.min(n, dslTypes.length); i++) pairs.push([t.subtables[i]!, ours[i]!, i]);
  return { pairs, truncated, dslHist };
}

// ---- DMAR ----------------------------------------------------------------------------------

/** Bytes before the device scopes (or the whole fixed part) per DMAR structure type. */
const DMAR_FIXED: Readonly<Record<number, number>> = { 0: 16, 1: 24, 2: 8, 3: 20, 4: 8, 5: 8, 6: 8 };
const dmarLength = (s: DmarStructure): number =>
  (DMAR_FIXED[s.type] ?? 4) + s.scopes.reduce((n, sc) => n + scopeLength(sc), 0) + (s.raw?.length ?? 0);
const dmarName = (t: number): string => DMAR_TYPES[t] ?? `type ${t}`;

export type FieldMap = readonly (readonly [dslNames: string[], ours: (s: DmarStructure) => Ours])[];
const f = (k: string) => (s: DmarStructure) => s.fields[k] as Ours;
const DMAR_FIELDS: Readonly<Record<number, FieldMap>> = {
  0: [
    [['Flags'], f('Flags')],
    [['Size', 'Reserved'], f('Size')], // iasl 20200925 calls byte 5 Reserved
    [['PCI Segment Number'], f('Segment')],
    [['Register Base Address'], f('RegisterBaseAddress')],
  ],
  1: [
    [['Reserved'], f('Reserved')],
    [['PCI Segment Number'], f('Segment')],
    [['Base Address'], f('BaseAddress')],
    [['End Address (limit)'], f('EndAddress')],
  ],
  2: [
    [['Flags'], f('Flags')],
    [['Reserved'], f('Reserved')],
    [['PCI Segment Number'], f('Segment')],
  ],
  3: [
    [['Reserved'], f('Reserved')],
    [['Base Address'], f('BaseAddress')],
    [['Proximity Domain'], f('ProximityDomain')],
  ],
  4: [
    [['Reserved'], (s) => [s.fields.Reserved0, s.fields.Reserved1, s.fields.Reserved2].map(Number)],
    [['Device Number'], f('DeviceNumber')],
    [['Device Name'], f('ObjectName')],
  ],
  5: [
    [['Flags'], f('Flags')],
    [['Reserved'], f('Reserved')],
    [['PCI Segment Number'], f('Segment')],
  ],
  6: [
    [['Reserved'], f('Reserved')],
    [['PCI Segment Number'], f('Segment')],
  ],
};

/** Table offsets of the subtables after the 48-byte fixed part of a DMAR or IVRS, from their lengths. */
function subtableOffsets<T>(items: readonly T[], lengthOf: (item: T) => number): number[] {
  let offset = 48;
  return items.map((x) => {
    const o = offset;
    offset += lengthOf(x);
    return o;
  });
}

/** A subtable's type (iasl's head line), its offset when iasl prints one, and its Length. */
function subtableHead(a: Agreement, where: string, node: DslNode, type: number, offset: number, length: number) {
  a.value(where, node.head, type);
  if (node.offset >= 0) a.same(where, 'offset', node.offset, offset);
  a.field(where, node, 'Length', length);
}

function compareDmar(a: Agreement, t: DslTable, bytes: Uint8Array) {
  const d = decodeDmar(bytes);
  header(a, t, d.header);
  a.field('DMAR', t.header, 'Host Address Width', d.hostAddressWidth);
  a.field('DMAR', t.header, 'Flags', d.flags);
  a.field('DMAR', t.header, 'Reserved', d.reserved);
  a.allUsed('header', t.header);

  const { pairs, truncated, dslHist } = pairSubtables(a, t, d.structures, (s) => s.type, dmarName);
  const offsets = subtableOffsets(d.structures, dmarLength);
  let scopes = 0;
  for (const [ds, s, i] of pairs) {
    const where = `#${i} ${s.name}@${hex(offsets[i]!)}`;
    subtableHead(a, where, ds.node, s.type, offsets[i]!, dmarLength(s));
    if (!ds.unknown) for (const [names, ours] of DMAR_FIELDS[s.type] ?? []) a.field(where, ds.node, names, ours(s));
    a.allUsed(where, ds.node);
    if (ds.unknown) continue;
    a.same(where, 'number of device scopes', ds.children.length, s.scopes.length);
    let so = offsets[i]! + (DMAR_FIXED[s.type] ?? 4);
    ds.children.forEach((c, j) => {
      const sc = s.scopes[j];
      if (!sc) return;
      const w = `${where} scope #${j}`;
      a.same(w, 'offset', c.offset, so);
      so += scopeLength(sc);
      a.value(w, c.head, sc.type);
      a.field(w, c, 'Entry Length', sc.length);
      a.field(w, c, 'Flags', sc.flags);
      // iasl 20200925 prints bytes 2-3 as one 2-byte Reserved; 20250404 prints Flags and Reserved.
      const res = c.get('Reserved');
      a.value(w, res, res?.size === 2 ? sc.flags | (sc.reserved << 8) : sc.reserved);
      a.field(w, c, 'Enumeration ID', sc.enumerationId);
      a.field(w, c, 'PCI Bus Number', sc.startBus);
      const paths = (c as DslScope).paths;
      a.same(w, 'number of PCI path entries', paths.length, sc.path.length);
      paths.forEach(([dev, fn], k) => {
        a.same(w, `path[${k}] device`, dev, sc.path[k]?.device ?? -1);
        a.same(w, `path[${k}] function`, fn, sc.path[k]?.function ?? -1);
      });
      a.allUsed(w, c);
      scopes++;
    });
  }
  return { subtables: dslHist, truncated, scopes, entries: 0 };
}

// ---- IVRS ----------------------------------------------------------------------------------

function entryLength(e: IvhdEntry): number {
  if (e.type === 0xf0) return 22 + (e.uid?.length ?? 0);
  return e.type < 0x40 ? 4 : e.type < 0x80 ? 8 : e.type < 0xc0 ? 16 : 32;
}
function blockLength(b: IvrsBlock): number {
  if (b.kind === 'RAW') return b.bytes.length;
  if (b.kind === 'IVMD') return 32;
  return ivhdHeaderLength(b.type) + b.entries.reduce((n, e) => n + entryLength(e), 0);
}
function ivrsName(t: number): string {
  if (t === 0x10 || t === 0x11 || t === 0x40) return `IVHD ${t.toString(16)}h`;
  if (t >= 0x20 && t <= 0x22) return `IVMD ${t.toString(16)}h`;
  return `type ${t.toString(16)}h`;
}

function compareEntry(a: Agreement, w: string, c: DslNode, e: IvhdEntry): void {
  a.value(w, c.head, e.type);
  a.field(w, c, 'Device ID', e.deviceId);
  a.field(w, c, 'Data Setting', e.data);
  if (e.type === 0x42 || e.type === 0x43) {
    const [r0, r1] = c.all('Reserved');
    a.value(w, r0, e.rest?.[0]);
    a.field(w, c, 'Source Used Device ID', e.aliasDeviceId);
    a.value(w, r1, e.rest?.[1]);
  } else if (e.type === 0x48) {
    a.field(w, c, 'Handle', e.handle);
    a.field(w, c, 'Source Used Device ID', e.usedDeviceId);
    a.field(w, c, 'Variety', e.variety);
  } else if (e.type === 0xf0) {
    a.field(w, c, 'ACPI HID', e.hid);
    a.field(w, c, 'ACPI CID', e.cid);
    a.field(w, c, 'UID Format', e.uidFormat);
    a.field(w, c, 'UID Length', e.uid?.length);
    a.field(w, c, 'UID', e.uid);
  } else {
    // 46h/47h carry Extended Data; other 8-byte types (40h reserved) keep those bytes in `rest`.
    a.field(w, c, 'Extended Data', e.extData ?? e.rest?.slice(0, 4));
  }
  a.allUsed(w, c);
}

function compareIvrs(a: Agreement, t: DslTable, bytes: Uint8Array) {
  const d = decodeIvrs(bytes);
  header(a, t, d.header);
  a.field('IVRS', t.header, 'Virtualization Info', d.ivInfo);
  a.field('IVRS', t.header, 'Reserved', d.reserved);
  a.allUsed('header', t.header);

  const { pairs, truncated, dslHist } = pairSubtables(a, t, d.blocks, (b) => b.type, ivrsName);
  const offsets = subtableOffsets(d.blocks, blockLength);
  let entries = 0;
  for (const [ds, b, i] of pairs) {
    const where = `#${i} ${ivrsName(b.type)}@${hex(offsets[i]!)}`;
    const n = ds.node;
    subtableHead(a, where, n, b.type, offsets[i]!, blockLength(b));
    if (b.kind === 'RAW') {
      a.field(where, n, 'Flags', b.bytes[1]);
      a.field(where, n, 'DeviceId', b.bytes.slice(4, 6));
      a.allUsed(where, n);
      continue;
    }
    a.field(where, n, 'Flags', b.flags);
    a.field(where, n, 'DeviceId', b.deviceId);
    if (b.kind === 'IVMD') {
      a.field(where, n, 'Auxiliary Data', b.auxData);
      a.field(where, n, 'Reserved', b.reserved);
      a.field(where, n, 'Start Address', b.startAddress);
      a.field(where, n, 'Memory Length', b.memoryLength);
      a.allUsed(where, n);
      continue;
    }
    a.field(where, n, 'Capability Offset', b.capabilityOffset);
    a.field(where, n, 'Base Address', b.baseAddress);
    a.field(where, n, 'PCI Segment Group', b.segment);
    a.field(where, n, 'Virtualization Info', b.info);
    a.field(where, n, ['Feature Reporting', 'Attributes'], b.attributes);
    a.field(where, n, 'EFR Image', b.efr);
    a.field(where, n, 'Reserved', b.efr2);
    a.allUsed(where, n);
    if (ds.unknown) continue; // iasl 20200925 does not know IVHD 40h: it printed the block header only
    const reliable = Math.min(ds.reliableChildren, ds.children.length);
    if (reliable === ds.children.length)
      a.same(where, 'number of device entries', ds.children.length, b.entries.length);
    let eo = offsets[i]! + ivhdHeaderLength(b.type);
    for (let j = 0; j < reliable; j++) {
      const c = ds.children[j]!;
      const e = b.entries[j];
      const w = `${where} entry #${j}`;
      if (!e) {
        a.problems.push(`${w}: iasl shows an entry the decoder lacks (dsl line ${c.head?.line})`);
        continue;
      }
      a.same(w, 'offset', c.offset, eo);
      eo += entryLength(e);
      compareEntry(a, w, c, e);
      entries++;
    }
    const dslEntryHist = histogram(ds.children.slice(0, reliable).map((c) => hex(c.type)));
    const ourEntryHist = histogram(b.entries.slice(0, reliable).map((e) => hex(e.type)));
    for (const k of new Set([...Object.keys(dslEntryHist), ...Object.keys(ourEntryHist)]))
      a.same(where, `count of ${k} entries`, dslEntryHist[k] ?? 0, ourEntryHist[k] ?? 0);
  }
  return { subtables: dslHist, truncated, scopes: 0, entries };
}

// ---- driver --------------------------------------------------------------------------------

export interface Result {
  dsl: string;
  table: string;
  signature: string;
  compared: number;
  problems: string[];
  subtables: Record<string, number>;
  truncated: boolean;
  scopes: number;
  entries: number;
  rawDumpMatches: boolean | undefined;
}

/** Compare one disassembly text with one binary table. */
export function agreeText(dslText: string, bytes: Uint8Array) {
  const t = structureDsl(dslText);
  const a = new Agreement();
  const signature = Buffer.from(bytes.subarray(0, 4)).toString('latin1');
  const r =
    signature === 'DMAR'
      ? compareDmar(a, t, bytes)
      : signature === 'IORT'
        ? compareIort(a, dslText, bytes)
        : compareIvrs(a, t, bytes);
  return {
    compared: a.compared,
    problems: a.problems,
    ...r,
    rawDumpMatches: t.raw ? Buffer.from(t.raw).equals(Buffer.from(bytes)) : undefined,
  };
}

export function agree(dslPath: string): Result | { dsl: string; signature: string; skipped: true } {
  const table = tableFor(dslPath);
  const bytes = new Uint8Array(readFileSync(table));
  const signature = Buffer.from(bytes.subarray(0, 4)).toString('latin1');
  const dsl = relative(FIX, dslPath);
  if (signature !== 'DMAR' && signature !== 'IVRS' && signature !== 'IORT') return { dsl, signature, skipped: true };
  const base = { dsl, table: relative(FIX, table), signature };
  try {
    return { ...base, ...agreeText(readFileSync(dslPath, 'utf8'), bytes) };
  } catch (e) {
    // A decoder (or dsl reader) exception fails this table's test, not the whole file's collection.
    const problems = [`threw: ${(e as Error).message}`];
    return {
      ...base,
      compared: 0,
      problems,
      subtables: {},
      truncated: false,
      scopes: 0,
      entries: 0,
      rawDumpMatches: undefined,
    };
  }
}
