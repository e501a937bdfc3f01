// SPDX-License-Identifier: Apache-2.0
// The IORT table (Arm DEN0049, the IORT header; ACPICA actbl2.h struct acpi_table_iort): the ACPI
// header, Number of IORT nodes (+36), Offset to array of IORT nodes (+40), Reserved (+44), optional
// padding up to the node array, then the nodes. Linux walks Number-of-nodes nodes from the offset,
// each by its Length (iort_scan_node()); so does the decoder, keeping any bytes after the last node
// walked. Encoding a decoded table gives back the same bytes.

import { ByteReader } from '../bytes';
import { AcpiDecodeError } from '../errors';
import { type AcpiHeader, checkStructureLength, decodeHeader, type EncodeOptions, encodeTable } from '../header';
import { IORT_NODE_HEADER_SIZE } from './layout';
import { decodeNode, encodeNode, type IortNode, iortNodeName, nodeLength } from './node';

export interface IortTable {
  header: AcpiHeader;
  /** +36: the Number of IORT nodes field (may claim more nodes than the table holds: Linux warns). */
  nodeCount: number;
  reserved: number; // +44
  /** Bytes between +48 and the node array (its offset, +40, is 48 + their number). */
  padding: number[];
  nodes: IortNode[];
  /** Bytes after the last node walked, kept verbatim. */
  trailing?: number[];
}

export const IORT_FIXED_LENGTH = 48;

export function decodeIort(bytes: Uint8Array): IortTable {
  const r = new ByteReader(bytes, 'IORT');
  const header = decodeHeader(r, 'IORT');
  const nodeCount = r.u32(36, 'IORT');
  const nodeOffset = r.u32(40, 'IORT');
  if (nodeOffset < IORT_FIXED_LENGTH || nodeOffset > bytes.length)
    throw new AcpiDecodeError(
      'BAD_STRUCTURE',
      'IORT',
      40,
      'IORT',
      `Offset to array of IORT nodes ${nodeOffset} is outside [48, ${bytes.length}]`,
    );
  const t: IortTable = {
    header,
    nodeCount,
    reserved: r.u32(44, 'IORT'),
    padding: [...r.slice(IORT_FIXED_LENGTH, nodeOffset - IORT_FIXED_LENGTH, 'IORT')],
    nodes: [],
  };
  let o = nodeOffset;
  for (let i = 0; i < nodeCount && o < bytes.length; i++) {
    const type = r.u8(o, 'IORT node');
    const len = r.u16(o + 1, 'IORT node');
    checkStructureLength(r, o, len, IORT_NODE_HEADER_SIZE, bytes.length, `${iortNodeName(type)} node #${i}`);
    t.nodes.push(decodeNode(r, o, len));
    o += len;
  }
  if (o < bytes.length) t.trailing = [...r.slice(o, bytes.length - o, 'IORT')];
  return t;
}

/** Table offset of each node (what ID mappings' Output Reference and PMCG Node Reference hold). */
export function iortNodeOffsets(t: IortTable): number[] {
  const out: number[] = [];
  let o = IORT_FIXED_LENGTH + t.padding.length;
  for (const n of t.nodes) {
    out.push(o);
    o += nodeLength(n);
  }
  return out;
}

export function encodeIort(t: IortTable, opts: EncodeOptions = {}): Uint8Array {
  return encodeTable(t.header, opts, (w) => {
    w.u32(t.nodeCount);
    w.u32(IORT_FIXED_LENGTH + t.padding.length);
    w.u32(t.reserved);
    for (const b of t.padding) w.u8(b);
    for (const n of t.nodes) encodeNode(w, n);
    for (const b of t.trailing ?? []) w.u8(b);
  });
}
