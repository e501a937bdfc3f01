// SPDX-License-Identifier: Apache-2.0
// ID translation through the IORT as Linux does it (drivers/acpi/arm64/iort.c): iort_id_map(),
// iort_get_id_mapping_index(), iort_node_map_id(), iort_node_get_id() and
// iort_node_map_platform_id(), as pure functions over a decoded table. Arithmetic is u32 as in C.
// Each call returns the kernel's log lines it would print ("ACPI: IORT: [Firmware Bug]: ..."),
// with the node or map pointer (%p) shown as its table offset. Where Linux would loop forever
// (a cycle of output references) or read outside any node (a reference that is not a node's
// start), the walk stops and says so: the model departs from the kernel there on purpose.

import type { IortTable } from './iort';
import { iortNodeOffsets } from './iort';
import {
  bits,
  IORT_ID_MAPPING_SIZE,
  IORT_ID_SINGLE_MAPPING,
  IORT_ITS_GROUP,
  IORT_NAMED_COMPONENT,
  IORT_PMCG,
  IORT_RMR,
  IORT_ROOT_COMPLEX,
  IORT_SMMU,
  IORT_SMMU_V3,
  SMMU_V3_FLAGS,
} from './layout';
import type { IdMapping, IortNode } from './node';

/** Node type masks (IORT_TYPE_MASK()): what iort_node_map_id() walks to. */
export const IORT_MSI_TYPE = 1 << IORT_ITS_GROUP;
export const IORT_IOMMU_TYPE = (1 << IORT_SMMU) | (1 << IORT_SMMU_V3);

export const IORT_LOG_PREFIX = 'ACPI: IORT: ';
export const FW_BUG = '[Firmware Bug]: ';

const ENXIO = -6;
const EAGAIN = -11;
const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

/** IORT_TYPE_MASK(type); types past 30 match no mask (in C the shift would be undefined). */
export const typeBit = (type: number): number => (type < 31 ? 1 << type : 0);

/** Node offsets and the reverse map, built once per table. */
export class IortIndex {
  readonly offsets: number[];
  private readonly byOffset = new Map<number, number>();
  constructor(readonly table: IortTable) {
    this.offsets = iortNodeOffsets(table);
    this.offsets.forEach((o, i) => {
      this.byOffset.set(o, i);
    });
  }
  /** Index of the node that starts at table offset `ref`. */
  nodeAt(ref: number): number | undefined {
    return this.byOffset.get(ref);
  }
  node(i: number): IortNode {
    return this.table.nodes[i]!;
  }
  /** Table offset of mapping `m` of node `i` (what Linux's "[map %p]" points at). */
  mapOffset(i: number, m: number): number {
    return this.offsets[i]! + this.node(i).mappingOffset + m * IORT_ID_MAPPING_SIZE;
  }
}

export interface IdMapResult {
  rc: 0 | typeof ENXIO | typeof EAGAIN;
  id?: number;
  log: string[];
}

/** iort_id_map(): one ID through one mapping. `mapAt` is the mapping's table offset. */
export function iortIdMap(
  map: IdMapping,
  type: number,
  ridIn: number,
  checkOverlap: boolean,
  mapAt: number,
): IdMapResult {
  const log: string[] = [];
  if (map.flags & IORT_ID_SINGLE_MAPPING) {
    if (type === IORT_NAMED_COMPONENT || type === IORT_ROOT_COMPLEX) return { rc: 0, id: map.outputBase, log };
    log.push(
      `${IORT_LOG_PREFIX}${FW_BUG}[map ${hex(mapAt)}] SINGLE MAPPING flag not allowed for node type ${type}, skipping ID map`,
    );
    return { rc: ENXIO, log };
  }
  const last = (map.inputBase + map.idCount) >>> 0;
  if (ridIn < map.inputBase || ridIn > last) return { rc: ENXIO, log };
  if (checkOverlap) {
    // An earlier mapping matched this ID at its very end (the id_count off-by-one): the kernel
    // lets this mapping supersede it only if the ID is this mapping's first.
    log.push(`${IORT_LOG_PREFIX}${FW_BUG}[map ${hex(mapAt)}] conflicting mapping for input ID ${hex(ridIn)}`);
    if (ridIn !== map.inputBase) return { rc: ENXIO, log };
    log.push(`${IORT_LOG_PREFIX}${FW_BUG}applying workaround.`);
  }
  const id = (map.outputBase + (ridIn - map.inputBase)) >>> 0;
  if (map.idCount > 0 && ridIn === last) return { rc: EAGAIN, id, log };
  return { rc: 0, id, log };
}

/**
 * iort_get_id_mapping_index(): the mapping that carries an SMMUv3's or PMCG's own MSI DeviceID,
 * which ID translation skips; -1 when there is none. SMMUv3 nodes of revision 0 have none; below
 * revision 5 (E.e) the index is valid unless all four interrupts are wired (GSIV), from revision 5
 * when Flags bit 4 (DeviceID valid) is set.
 */
export function iortGetIdMappingIndex(node: IortNode, nodeAt: number): { index: number; log: string[] } {
  const f = node.fields;
  if (node.type === IORT_SMMU_V3) {
    if (node.revision < 1 || f.DeviceIdMappingIndex === undefined) return { index: -1, log: [] };
    if (node.revision < 5) {
      if (f.EventGsiv && f.PriGsiv && f.GerrGsiv && f.SyncGsiv) return { index: -1, log: [] };
    } else if (!bits(f.Flags ?? 0, SMMU_V3_FLAGS.deviceIdValid)) return { index: -1, log: [] };
    const index = Number(f.DeviceIdMappingIndex);
    if (index >= node.mappings.length)
      return {
        index: -1,
        log: [
          `${IORT_LOG_PREFIX}${FW_BUG}[node ${hex(nodeAt)} type ${node.type}] ID mapping index overflows valid mappings`,
        ],
      };
    return { index, log: [] };
  }
  if (node.type === IORT_PMCG) {
    if (f.OverflowInterruptGsiv || node.mappings.length === 0) return { index: -1, log: [] };
    return { index: 0, log: [] };
  }
  return { index: -1, log: [] };
}

export interface MapIdResult {
  /** Index of the node of a wanted type the ID reached, or undefined. */
  node: number | undefined;
  /** The translated ID; the input ID unchanged when the walk failed (as Linux does). */
  id: number;
  log: string[];
  /** The walk stopped where Linux would misbehave: a reference cycle or a reference to no node. */
  broken?: string;
}

const nullRef = (at: number, n: IortNode) =>
  `${IORT_LOG_PREFIX}${FW_BUG}[node ${hex(at)} type ${n.type}] ID map has NULL parent reference`;

export interface NodeStep {
  /** Output reference the ID leaves through, or undefined when no mapping takes it. */
  ref?: number;
  /** The ID after this node's mappings. */
  id: number;
  /** Index of the mapping that decided (the off-by-one fallback's when `viaFallback`). */
  mapping?: number;
  viaFallback?: boolean;
  log: string[];
}

/** One node of iort_node_map_id(): which mapping takes `id` and where it leads. */
export function iortNodeStep(ix: IortIndex, cur: number, idIn: number): NodeStep {
  const node = ix.node(cur);
  const log: string[] = [];
  if (!node.mappingOffset || node.mappings.length === 0) return { id: idIn, log };
  if (!node.mappings[0]!.outputReference) return { id: idIn, log: [nullRef(ix.offsets[cur]!, node)] };
  const { index, log: indexLog } = iortGetIdMappingIndex(node, ix.offsets[cur]!);
  log.push(...indexLog);
  let outRef = 0;
  let outMap = -1;
  let rc = 0;
  let id = idIn;
  let i = 0;
  for (; i < node.mappings.length; i++) {
    if (i === index) continue;
    const r = iortIdMap(node.mappings[i]!, node.type, idIn, outRef !== 0, ix.mapOffset(cur, i));
    log.push(...r.log);
    rc = r.rc;
    if (r.id !== undefined) id = r.id;
    if (rc === 0) break;
    if (rc === EAGAIN) {
      outRef = node.mappings[i]!.outputReference;
      outMap = i;
    }
  }
  if (i === node.mappings.length && !outRef) return { id: idIn, log };
  if (rc) return { ref: outRef, id, mapping: outMap, viaFallback: true, log };
  return { ref: node.mappings[i]!.outputReference, id, mapping: i, log };
}

/** iort_node_map_id(): follow ID mappings from node `start` until a node whose type is in `typeMask`. */
export function iortNodeMapId(ix: IortIndex, start: number, idIn: number, typeMask: number): MapIdResult {
  const log: string[] = [];
  const fail = (broken?: string): MapIdResult =>
    broken ? { node: undefined, id: idIn, log, broken } : { node: undefined, id: idIn, log };
  let id = idIn >>> 0;
  let cur: number | undefined = start;
  for (let step = 0; cur !== undefined; step++) {
    if (step > ix.table.nodes.length) return fail('the output references form a cycle (Linux would not return)');
    if (typeBit(ix.node(cur).type) & typeMask) return { node: cur, id, log };
    const s = iortNodeStep(ix, cur, id);
    log.push(...s.log);
    if (s.ref === undefined) return fail();
    id = s.id;
    cur = ix.nodeAt(s.ref);
    if (cur === undefined) return fail(`output reference ${hex(s.ref)} is not the start of a node`);
  }
  return fail();
}

/** iort_node_get_id(): the output of a single mapping (`index`) and the node it points to. */
export function iortNodeGetId(ix: IortIndex, i: number, index: number): { node?: number; id?: number; log: string[] } {
  const node = ix.node(i);
  if (!node.mappingOffset || node.mappings.length === 0 || index >= node.mappings.length) return { log: [] };
  const map = node.mappings[index]!;
  if (!map.outputReference) return { log: [nullRef(ix.offsets[i]!, node)] };
  const singleOk = [IORT_NAMED_COMPONENT, IORT_ROOT_COMPLEX, IORT_SMMU_V3, IORT_PMCG, IORT_RMR].includes(node.type);
  if (map.flags & IORT_ID_SINGLE_MAPPING && singleOk) {
    const parent = ix.nodeAt(map.outputReference);
    return parent === undefined ? { log: [] } : { node: parent, id: map.outputBase, log: [] };
  }
  return { log: [] };
}

/** iort_node_map_platform_id(): mapping `index` of a platform device's node, then on to `typeMask`. */
export function iortNodeMapPlatformId(ix: IortIndex, i: number, typeMask: number, index: number): MapIdResult {
  const first = iortNodeGetId(ix, i, index);
  if (first.node === undefined || first.id === undefined) return { node: undefined, id: 0, log: first.log };
  if (typeBit(ix.node(first.node).type) & typeMask) return { node: first.node, id: first.id, log: first.log };
  const r = iortNodeMapId(ix, first.node, first.id, typeMask);
  return { ...r, log: [...first.log, ...r.log] };
}
