// SPDX-License-Identifier: Apache-2.0
// One IORT node: the 16-byte header, the type's fixed fields (layout.ts), its arrays (ID
// mappings, GIC ITS identifiers, SMMUv1/v2 interrupts, RMR memory range descriptors), a named
// component's device name, and every byte no field describes (`gaps`: padding, reserved bytes,
// fields of later revisions). Arrays sit where the node's offsets say, so a node is a set of
// regions; decoding checks that they fit in the node and do not overlap, encoding writes them
// back where they were. Unknown node types keep their body as raw bytes.

import { type ByteReader, ByteWriter } from '../bytes';
import { AcpiDecodeError } from '../errors';
import { type Field, IORT_NODE_HEADER_SIZE, IORT_NODE_NAMES, NODE_FIELDS, readField, writeField } from './layout';
import { ARRAYS, type ArrayKey, type IdMapping, regionsOf } from './node-arrays';

export type IortNodeName = (typeof IORT_NODE_NAMES)[number] | 'UNKNOWN';

export interface SmmuInterrupt {
  gsiv: number; // +0 GSIV
  flags: number; // +4 bit 0: edge triggered
}

export interface SmmuGlobalInterrupts {
  nsgIrpt: number; // +0 SMMU_NSgIrpt GSIV
  nsgIrptFlags: number; // +4
  nsgCfgIrpt: number; // +8 SMMU_NSgCfgIrpt GSIV
  nsgCfgIrptFlags: number; // +12
}

export interface RmrDescriptor {
  baseAddress: bigint; // +0, 64 KiB aligned
  length: bigint; // +8, a multiple of 64 KiB
  reserved: number; // +16
}

export interface NodeGap {
  /** Offset from the node's start. */
  offset: number;
  bytes: number[];
}

export interface IortNode {
  type: number; // +0
  name: IortNodeName;
  revision: number; // +3
  identifier: number; // +4: unique node id (E.a onwards; Reserved, 0, before)
  mappingOffset: number; // +12: where `mappings` start (kept as given when there are none)
  /** Fixed fields by spec name (layout.ts); 64-bit values as bigint. A count whose array is absent (its offset 0) is kept here. */
  fields: Record<string, number | bigint>;
  mappings: IdMapping[]; // count at +8
  itsIds?: number[]; // ITS group: GIC ITS identifiers (MADT GIC ITS structures), count at +16
  deviceName?: string; // named component: the device's full ACPI path, at +29
  globalInterrupts?: SmmuGlobalInterrupts; // SMMUv1/v2, at GlobalInterruptOffset
  contextInterrupts?: SmmuInterrupt[]; // SMMUv1/v2, at ContextInterruptOffset
  pmuInterrupts?: SmmuInterrupt[]; // SMMUv1/v2, at PmuInterruptOffset
  rmrDescriptors?: RmrDescriptor[]; // RMR, at RmrOffset
  /** Unknown node types: the bytes after the 16-byte header. */
  raw?: number[];
  /** Node bytes no field describes, kept verbatim. */
  gaps?: NodeGap[];
}

export type { IdMapping } from './node-arrays';

export const NAMED_COMPONENT_NAME_OFFSET = 29;

export function iortNodeName(type: number): IortNodeName {
  return IORT_NODE_NAMES[type] ?? 'UNKNOWN';
}

type Claim = [start: number, end: number, what: string];

function claim(claims: Claim[], c: Claim, r: ByteReader, base: number, name: string): void {
  for (const [s, e, what] of claims)
    if (c[0] < e && s < c[1])
      throw new AcpiDecodeError(
        'BAD_STRUCTURE',
        'IORT',
        base + c[0],
        `${name} node`,
        `${c[2]} [${c[0]}, ${c[1]}) overlaps ${what} [${s}, ${e})`,
      );
  if (c[0] < IORT_NODE_HEADER_SIZE && c[1] > c[0])
    throw new AcpiDecodeError('BAD_STRUCTURE', r.signature, base + c[0], `${name} node`, `${c[2]} overlaps the header`);
  claims.push(c);
}

/** Fixed fields that lie inside the node and outside the regions already claimed. */
function decodeFields(r: ByteReader, base: number, len: number, node: IortNode, claims: Claim[]): void {
  for (const [fname, off, size] of NODE_FIELDS[node.type] ?? []) {
    if (off + size > len || claims.some(([s, e]) => off < e && s < off + size)) continue;
    node.fields[fname] = readField(r, base + off, size, `${node.name} node`);
    claims.push([off, off + size, fname]);
  }
}

function decodeDeviceName(r: ByteReader, base: number, len: number, node: IortNode, claims: Claim[]): void {
  const start = NAMED_COMPONENT_NAME_OFFSET;
  if (start >= len) return;
  if (claims.some(([s, e]) => s <= start && start < e)) return;
  let end = len;
  for (const [s] of claims) if (s >= start && s < end) end = s;
  let n = 0;
  while (start + n < end && r.u8(base + start + n, 'device name') !== 0) n++;
  node.deviceName = r.ascii(base + start, n, 'device name');
  if (n) claims.push([start, start + n, 'device name']);
}

function gapsOf(r: ByteReader, base: number, len: number, claims: Claim[]): NodeGap[] {
  const gaps: NodeGap[] = [];
  const sorted = [...claims].sort((a, b) => a[0] - b[0]);
  let o = IORT_NODE_HEADER_SIZE;
  for (const [s, e] of [...sorted, [len, len, ''] as Claim]) {
    if (s > o) gaps.push({ offset: o, bytes: [...r.slice(base + o, s - o, 'node')] });
    o = Math.max(o, e);
  }
  return gaps;
}

/** Decodes the node at table offset `base` whose Length field says `len` (checked to fit by the caller). */
export function decodeNode(r: ByteReader, base: number, len: number): IortNode {
  const type = r.u8(base, 'node');
  const node: IortNode = {
    type,
    name: iortNodeName(type),
    revision: r.u8(base + 3, 'node'),
    identifier: r.u32(base + 4, 'node'),
    mappingOffset: r.u32(base + 12, 'node'),
    fields: {},
    mappings: [],
  };
  if (node.name === 'UNKNOWN') {
    node.fields.MappingCount = r.u32(base + 8, 'node');
    node.raw = [...r.slice(base + IORT_NODE_HEADER_SIZE, len - IORT_NODE_HEADER_SIZE, 'node')];
    return node;
  }
  const claims: Claim[] = [];
  const mappingSpec = ARRAYS.find((a) => a.key === 'mappings')!;
  decodeArray(r, base, len, node, claims, mappingSpec);
  decodeFields(r, base, len, node, claims);
  for (const spec of ARRAYS)
    if (spec.key !== 'mappings' && spec.types.includes(type)) decodeArray(r, base, len, node, claims, spec);
  if (type === 1) decodeDeviceName(r, base, len, node, claims);
  const gaps = gapsOf(r, base, len, claims);
  if (gaps.length) node.gaps = gaps;
  return node;
}

function decodeArray(
  r: ByteReader,
  base: number,
  len: number,
  node: IortNode,
  claims: Claim[],
  spec: (typeof ARRAYS)[number],
): void {
  if (spec.countOffset !== undefined) {
    if (spec.countOffset + 4 > len) return;
    if (spec.countOffset >= IORT_NODE_HEADER_SIZE)
      claim(claims, [spec.countOffset, spec.countOffset + 4, spec.countName], r, base, node.name);
  }
  const count = spec.countOffset === undefined ? 1 : r.u32(base + spec.countOffset, `${node.name} node`);
  const at = spec.offsetOf(node);
  if (at === undefined) return;
  if (count === 0) {
    if (spec.key !== 'mappings' && spec.countOffset !== undefined)
      (node as unknown as Record<string, unknown[]>)[spec.key] = [];
    return;
  }
  if (at === 0) {
    // Linux treats an array at offset 0 as absent (iort_node_map_id: !node->mapping_offset).
    if (spec.countOffset !== undefined) node.fields[spec.countName] = count;
    return;
  }
  const bytes = count * spec.entrySize;
  if (at < IORT_NODE_HEADER_SIZE || at + bytes > len)
    throw new AcpiDecodeError(
      'BAD_STRUCTURE',
      'IORT',
      base,
      `${node.name} node`,
      `${count} ${spec.what} of ${spec.entrySize} bytes at node offset ${at} do not fit in its ${len} bytes`,
    );
  claim(claims, [at, at + bytes, spec.what], r, base, node.name);
  spec.decodeInto(r, base + at, count, node);
}

/** Regions of an encoded node: [offset, bytes]. */
function nodeRegions(n: IortNode): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  const piece = (offset: number, f: (w: ByteWriter) => void) => {
    const w = new ByteWriter();
    f(w);
    out.push([offset, w.finish()]);
  };
  const count = (key: ArrayKey, countName: string): number => {
    const arr = n[key] as unknown[] | undefined;
    const given = n.fields[countName];
    if (arr?.length && given !== undefined)
      throw new AcpiDecodeError('BAD_INPUT', 'IORT', 0, `${n.name} node`, `both ${key} and ${countName} are given`);
    return arr?.length ? arr.length : Number(given ?? 0);
  };
  piece(0, (w) => {
    w.u8(n.type);
    w.u16(0); // Length: patched by encodeNode
    w.u8(n.revision);
    w.u32(n.identifier);
    w.u32(count('mappings', 'MappingCount'));
    w.u32(n.mappingOffset);
  });
  if (n.name === 'UNKNOWN') {
    piece(IORT_NODE_HEADER_SIZE, (w) => w.bytes(Uint8Array.from(n.raw ?? [])));
    return out;
  }
  const layout = NODE_FIELDS[n.type] ?? [];
  for (const [fname, v] of Object.entries(n.fields)) {
    if (fname === 'MappingCount') continue;
    const f: Field | undefined = layout.find((x) => x[0] === fname);
    const c = ARRAYS.find((a) => a.countName === fname && a.types.includes(n.type));
    if (f) piece(f[1], (w) => writeField(w, f[2], v));
    else if (!c)
      throw new AcpiDecodeError('BAD_INPUT', 'IORT', 0, `${n.name} node`, `no field "${fname}" in this node type`);
  }
  for (const spec of ARRAYS) {
    if (spec.key === 'mappings' || !spec.types.includes(n.type)) continue;
    const arr = n[spec.key] as unknown[] | undefined;
    if (spec.countOffset !== undefined && (arr !== undefined || n.fields[spec.countName] !== undefined))
      piece(spec.countOffset, (w) => w.u32(count(spec.key, spec.countName)));
  }
  out.push(...regionsOf(n));
  if (n.type === 1 && n.deviceName)
    piece(NAMED_COMPONENT_NAME_OFFSET, (w) => w.ascii(n.deviceName!, n.deviceName!.length));
  for (const g of n.gaps ?? []) out.push([g.offset, Uint8Array.from(g.bytes)]);
  return out;
}

function assemble(n: IortNode): Uint8Array {
  const regions = nodeRegions(n).sort((a, b) => a[0] - b[0]);
  let len = 0;
  for (const [o, b] of regions) {
    if (o < len)
      throw new AcpiDecodeError('BAD_INPUT', 'IORT', 0, `${n.name} node`, `parts overlap at node offset ${o}`);
    len = o + b.length;
  }
  if (len > 0xffff)
    throw new AcpiDecodeError('BAD_INPUT', 'IORT', 0, `${n.name} node`, `${len} bytes do not fit the 16-bit Length`);
  const out = new Uint8Array(len);
  for (const [o, b] of regions) out.set(b, o);
  new DataView(out.buffer).setUint16(1, len, true);
  return out;
}

/** The encoded size of a node (its Length field). */
export function nodeLength(n: IortNode): number {
  return assemble(n).length;
}

export function encodeNode(w: ByteWriter, n: IortNode): void {
  w.bytes(assemble(n));
}
