// SPDX-License-Identifier: Apache-2.0
// A small reader for `iasl -d` disassemblies of DMAR and IVRS tables, used as an independent
// oracle in dsl-agreement.test.ts. It knows the line format of iasl 20200925 and 20250404
//   [030h 0048   2]                Subtable Type : 0000 [Hardware Unit Definition]
//   [030h 0048 002h]               Subtable Type : 0000 [Hardware Unit Definition]
// (hex offset, decimal offset, size in decimal or in hex with an `h`, field name, value in hex,
// a quoted string, a byte list or a PCI path pair), iasl's `****` remarks and the trailing
// "Raw Table Data" hex dump. Bit-field lines ("  Iotlb Support : 1") and comments are ignored.

export interface DslField {
  /** 1-based line number in the .dsl, for messages. */
  line: number;
  offset: number;
  size: number;
  /** Field name without iasl's " (decoded below)" suffix. */
  name: string;
  text: string;
  num?: bigint;
  str?: string;
  /** The bracketed description after a value, e.g. "Hardware Unit Definition". */
  label?: string;
  bytes?: number[];
  pair?: [number, number];
}

export type DslItem = { kind: 'field'; f: DslField } | { kind: 'remark'; line: number; text: string };

export interface DslText {
  items: DslItem[];
  /** The "Raw Table Data" hex dump, if present. */
  raw?: Uint8Array;
}

const FIELD = /^\[([0-9A-Fa-f]+)h\s+(\d+)\s+([0-9A-Fa-f]+h|\d+)\]\s*(.+?)\s+:\s?(.*)$/;
const REMARK = /^\/?\*{4}\s*(.*?)\s*(?:\*\/)?$/;
const DUMP = /^\s*([0-9A-Fa-f]{4,8}):((?: [0-9A-Fa-f]{2})+)/;

function parseValue(f: DslField): void {
  const t = f.text.trim();
  let m = /^"(.*)"(?:\s+\[(.*)\])?$/.exec(t);
  if (m) {
    f.str = m[1]!;
    if (m[2] !== undefined) f.label = m[2];
    return;
  }
  m = /^([0-9A-Fa-f]+)(?:\s+\[(.*)\])?$/.exec(t);
  if (m) {
    f.num = BigInt(`0x${m[1]!}`);
    if (m[2] !== undefined) f.label = m[2];
    return;
  }
  m = /^([0-9A-Fa-f]{2}),([0-9A-Fa-f]{2})$/.exec(t);
  if (m) {
    f.pair = [Number.parseInt(m[1]!, 16), Number.parseInt(m[2]!, 16)];
    return;
  }
  if (/^[0-9A-Fa-f]{2}( [0-9A-Fa-f]{2})+$/.test(t)) f.bytes = t.split(' ').map((b) => Number.parseInt(b, 16));
}

export function parseDsl(text: string): DslText {
  const items: DslItem[] = [];
  const dump: number[] = [];
  let inDump = false;
  const lines = text.split(/\r?\n/);
  lines.forEach((ln, i) => {
    if (/^Raw Table Data:/.test(ln)) {
      inDump = true;
      return;
    }
    if (inDump) {
      const d = DUMP.exec(ln);
      if (d) {
        if (Number.parseInt(d[1]!, 16) !== dump.length) throw new Error(`dsl line ${i + 1}: hex dump out of order`);
        for (const b of d[2]!.trim().split(' ')) dump.push(Number.parseInt(b, 16));
      }
      return;
    }
    const m = FIELD.exec(ln);
    if (m) {
      const size = m[3]!.endsWith('h') ? Number.parseInt(m[3]!.slice(0, -1), 16) : Number.parseInt(m[3]!, 10);
      const f: DslField = {
        line: i + 1,
        offset: Number.parseInt(m[1]!, 16),
        size,
        name: m[4]!.replace(/\s*\(decoded below\)$/, ''),
        text: m[5]!,
      };
      if (Number.parseInt(m[2]!, 10) !== f.offset) throw new Error(`dsl line ${i + 1}: hex and decimal offsets differ`);
      parseValue(f);
      items.push({ kind: 'field', f });
      return;
    }
    const r = REMARK.exec(ln);
    if (r) items.push({ kind: 'remark', line: i + 1, text: r[1]! });
  });
  return dump.length ? { items, raw: new Uint8Array(dump) } : { items };
}

/** A group of fields: a table header, a subtable, a device scope or an IVHD device entry. */
export class DslNode {
  readonly fields: DslField[] = [];
  constructor(readonly head?: DslField) {}
  /** The first field called `name` (or any of several spellings), if iasl printed it. */
  get(...names: string[]): DslField | undefined {
    return this.fields.find((f) => names.includes(f.name));
  }
  all(name: string): DslField[] {
    return this.fields.filter((f) => f.name === name);
  }
  get offset(): number {
    return this.head?.offset ?? -1;
  }
  get type(): number {
    return Number(this.head?.num ?? -1n);
  }
}

export interface DslScope extends DslNode {
  paths: [number, number][];
}

export interface DslSubtable {
  node: DslNode;
  /** iasl said "Unknown ... subtable type": only the common header (if any) was printed. */
  unknown: boolean;
  /** DMAR: device scopes; IVRS: device entries (both as nodes). */
  children: DslNode[];
  /** Number of children iasl decoded before it lost its footing ("Unknown IVRS device entry"). */
  reliableChildren: number;
  /** A typed remark iasl left inside this subtable, e.g. "ACPI subtable terminates early". */
  remarks: string[];
}

export interface DslTable {
  header: DslNode;
  subtables: DslSubtable[];
  raw?: Uint8Array;
  remarks: string[];
}

function newSubtable(head: DslField | undefined): DslSubtable {
  return { node: new DslNode(head), unknown: false, children: [], reliableChildren: Infinity, remarks: [] };
}

/** Group the fields of a DMAR or IVRS disassembly into header, subtables and their scopes/entries. */
export function structureDsl(text: string): DslTable {
  const { items, raw } = parseDsl(text);
  const t: DslTable = { header: new DslNode(), subtables: [], remarks: [] };
  if (raw) t.raw = raw;
  let sub: DslSubtable | undefined;
  let child: DslNode | undefined;
  for (const it of items) {
    if (it.kind === 'remark') {
      t.remarks.push(it.text);
      const unk = /^Unknown (?:DMAR|IVRS) subtable type 0x([0-9A-Fa-f]+)/.exec(it.text);
      if (unk) {
        const type = Number.parseInt(unk[1]!, 16);
        // iasl 20200925 prints the common subtable header first; iasl 20250404 prints only the remark.
        if (!sub || sub.unknown || sub.node.type !== type) {
          sub = newSubtable({ line: it.line, offset: -1, size: 0, name: 'Subtable Type', text: '', num: BigInt(type) });
          t.subtables.push(sub);
        }
        sub.unknown = true;
        child = undefined;
      } else if (/^Unknown IVRS device entry/.test(it.text) && sub) {
        sub.reliableChildren = Math.min(sub.reliableChildren, sub.children.length);
      } else if (sub) sub.remarks.push(it.text);
      continue;
    }
    const f = it.f;
    const isEntry = f.name === 'Entry Type' || (f.name === 'Subtable Type' && /Device Entry/.test(f.label ?? ''));
    if (f.name === 'Subtable Type' && !isEntry) {
      sub = newSubtable(f);
      sub.node.fields.push(f);
      t.subtables.push(sub);
      child = undefined;
    } else if ((isEntry || f.name === 'Device Scope Type') && sub) {
      child = f.name === 'Device Scope Type' ? Object.assign(new DslNode(f), { paths: [] }) : new DslNode(f);
      child.fields.push(f);
      sub.children.push(child);
    } else if (f.name === 'PCI Path' && child && 'paths' in child) {
      (child as DslScope).paths.push(f.pair ?? [-1, -1]);
    } else if (child) child.fields.push(f);
    else if (sub) sub.node.fields.push(f);
    else t.header.fields.push(f);
  }
  return t;
}
