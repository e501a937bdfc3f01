// SPDX-License-Identifier: Apache-2.0
// What firmware writers get wrong in an IORT, as Linux notices it (drivers/acpi/arm64/iort.c: the
// "[Firmware Bug]" lines of iort_id_map(), iort_node_map_id(), iort_get_id_mapping_index(),
// iort_set_device_domain(), rc_dma_get_range()/nc_dma_get_range() and the RMR parser; the
// "IORT node pointer overflows" warning of iort_scan_node()), plus problems the kernel walks into
// without a word: references to no node, reference cycles, overlapping ID ranges it resolves
// silently, duplicate PCI segments. Findings quote the kernel's lines where it prints one.

import type { Finding } from '../validate';
import type { IortTable } from './iort';
import {
  IORT_ID_SINGLE_MAPPING,
  IORT_ITS_GROUP,
  IORT_NAMED_COMPONENT,
  IORT_RMR,
  IORT_ROOT_COMPLEX,
  IORT_SMMU,
  IORT_SMMU_V3,
} from './layout';
import { FW_BUG, IORT_LOG_PREFIX, IortIndex, iortGetIdMappingIndex, iortNodeStep } from './map-id';
import type { IortNode } from './node';
import { iortRmrRegions } from './rmr';

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
const U32_MAX = 0xffff_ffff;

/** Output node types each node type is expected to map to. */
const EXPECTED_OUTPUT: Readonly<Record<number, readonly number[]>> = {
  [IORT_NAMED_COMPONENT]: [IORT_ITS_GROUP, IORT_SMMU, IORT_SMMU_V3],
  [IORT_ROOT_COMPLEX]: [IORT_ITS_GROUP, IORT_SMMU, IORT_SMMU_V3],
  [IORT_SMMU]: [IORT_ITS_GROUP],
  [IORT_SMMU_V3]: [IORT_ITS_GROUP],
  5: [IORT_ITS_GROUP],
  [IORT_RMR]: [IORT_SMMU, IORT_SMMU_V3],
};

function references(ix: IortIndex, i: number, out: Finding[]): void {
  const node = ix.node(i);
  node.mappings.forEach((m, k) => {
    const where = `node ${i} (${node.name}) ID mapping #${k}`;
    if (!m.outputReference) {
      out.push({
        severity: 'error',
        code: 'NULL_REFERENCE',
        structure: i,
        message: `${where} has Output Reference 0 (Linux: "${IORT_LOG_PREFIX}${FW_BUG}[node ${hex(ix.offsets[i]!)} type ${node.type}] ID map has NULL parent reference")`,
      });
      return;
    }
    const target = ix.nodeAt(m.outputReference);
    if (target === undefined) {
      out.push({
        severity: 'error',
        code: 'BAD_REFERENCE',
        structure: i,
        message: `${where} points at ${hex(m.outputReference)}, which is not the start of a node (Linux reads whatever is there)`,
      });
      return;
    }
    const expected = EXPECTED_OUTPUT[node.type];
    if (expected && !expected.includes(ix.node(target).type))
      out.push({
        severity: 'warning',
        code: 'REFERENCE_TYPE',
        structure: i,
        message: `${where} leads to node ${target} (${ix.node(target).name}), not to what a ${node.name} maps to`,
      });
    if (m.inputBase + m.idCount > U32_MAX)
      out.push({
        severity: 'warning',
        code: 'MAP_WRAPS',
        structure: i,
        message: `${where}: Input base ${hex(m.inputBase)} + Number of IDs ${hex(m.idCount)} passes 2^32 (Linux's u32 sum wraps)`,
      });
  });
}

/** Mappings iort_node_map_id() passes through iort_id_map() (all but the MSI DeviceID one). */
function walkedMappings(ix: IortIndex, i: number, out: Finding[]): number[] {
  const node = ix.node(i);
  const { index, log } = iortGetIdMappingIndex(node, ix.offsets[i]!);
  for (const line of log)
    out.push({ severity: 'error', code: 'ID_MAPPING_INDEX', structure: i, message: `Linux: "${line}"` });
  if (index >= 0) {
    const m = node.mappings[index]!;
    if (!m.outputReference || !(m.flags & IORT_ID_SINGLE_MAPPING))
      out.push({
        severity: 'error',
        code: 'INVALID_MSI_MAPPING',
        structure: i,
        message: `the DeviceID mapping #${index} is not a single mapping to a node (Linux: "${IORT_LOG_PREFIX}${FW_BUG}[node ${hex(ix.offsets[i]!)} type ${node.type}] Invalid MSI mapping")`,
      });
  }
  return node.mappings.map((_m, k) => k).filter((k) => k !== index);
}

function singleMappings(ix: IortIndex, i: number, walked: number[], out: Finding[]): void {
  const node = ix.node(i);
  if (node.type !== IORT_SMMU && node.type !== IORT_SMMU_V3) return;
  for (const k of walked)
    if (node.mappings[k]!.flags & IORT_ID_SINGLE_MAPPING)
      out.push({
        severity: 'warning',
        code: 'SINGLE_MAPPING',
        structure: i,
        message: `ID mapping #${k} of an ${node.name} node is a single mapping that is not its DeviceID mapping (Linux: "${IORT_LOG_PREFIX}${FW_BUG}[map ${hex(ix.mapOffset(i, k))}] SINGLE MAPPING flag not allowed for node type ${node.type}, skipping ID map")`,
      });
}

/** Overlapping mapping pairs reported per node (a crafted table can hold ~3,000 mappings in a node). */
export const MAX_OVERLAP_FINDINGS = 16;

function overlapFinding(ix: IortIndex, i: number, a: Range, b: Range): Finding {
  const node = ix.node(i);
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  const touching = lo === hi && ((a.hi === b.lo && a.lo < a.hi) || (b.hi === a.lo && b.lo < b.hi));
  const step = iortNodeStep(ix, i, lo);
  const uses = step.mapping === undefined ? 'no mapping' : `#${step.mapping}`;
  const linux = step.log.length
    ? ` Linux: ${step.log.map((l) => `"${l}"`).join(', ')}; it uses ${uses} for ${hex(lo)}`
    : ` Linux uses ${uses} for ${hex(lo)} without a word`;
  const ids = lo === hi ? `input ID ${hex(lo)}` : `input IDs ${hex(lo)}-${hex(hi)}`;
  return {
    severity: touching ? 'warning' : 'error',
    code: touching ? 'MAP_OFF_BY_ONE' : 'MAP_OVERLAP',
    structure: i,
    message: `ID mappings #${a.k} [${hex(a.lo)}-${hex(a.hi)}] and #${b.k} [${hex(b.lo)}-${hex(b.hi)}] of node ${i} (${node.name}) share ${ids}${touching ? ': Number of IDs holds the count, not the count minus one' : ''}.${linux}`,
  };
}

interface Range {
  k: number;
  lo: number;
  hi: number;
}

function overlaps(ix: IortIndex, i: number, walked: number[], out: Finding[]): void {
  const node = ix.node(i);
  const ranges: Range[] = walked
    .filter((k) => !(node.mappings[k]!.flags & IORT_ID_SINGLE_MAPPING))
    .map((k) => {
      const m = node.mappings[k]!;
      return { k, lo: m.inputBase, hi: Math.min(U32_MAX, m.inputBase + m.idCount) };
    })
    .sort((x, y) => x.lo - y.lo || x.k - y.k);
  const pairs: [Range, Range][] = [];
  let more = 0;
  // Sweep in input order: each range against the later-starting ones it reaches.
  for (const [p, a] of ranges.entries())
    for (let q = p + 1; q < ranges.length && ranges[q]!.lo <= a.hi; q++) {
      const b = ranges[q]!;
      if (pairs.length < MAX_OVERLAP_FINDINGS) pairs.push(a.k < b.k ? [a, b] : [b, a]);
      else more++;
    }
  pairs.sort(([a1, b1], [a2, b2]) => a1.k - a2.k || b1.k - b2.k);
  for (const [a, b] of pairs) out.push(overlapFinding(ix, i, a, b));
  if (more)
    out.push({
      severity: 'error',
      code: 'MAP_OVERLAP',
      structure: i,
      message: `and ${more} more overlapping pairs of ID mappings in node ${i} (${node.name})`,
    });
}

function cycles(ix: IortIndex, out: Finding[]): void {
  // Iterative depth-first search (a table may hold thousands of nodes): 0 new, 1 on the path, 2 done.
  const state = new Array<number>(ix.table.nodes.length).fill(0);
  const next = (i: number) => ix.node(i).mappings.flatMap((m) => ix.nodeAt(m.outputReference) ?? []);
  for (let root = 0; root < state.length; root++) {
    if (state[root] !== 0) continue;
    const stack: { node: number; succ: number[] }[] = [{ node: root, succ: next(root) }];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const s = top.succ.pop();
      if (s === undefined) {
        state[top.node] = 2;
        stack.pop();
      } else if (state[s] === 1) {
        out.push({
          severity: 'error',
          code: 'REFERENCE_CYCLE',
          structure: root,
          message: `output references starting at node ${root} (${ix.node(root).name}) lead back to node ${s} (${ix.node(s).name}): Linux's iort_node_map_id() would never return`,
        });
        return;
      } else if (state[s] === 0) {
        state[s] = 1;
        stack.push({ node: s, succ: next(s) });
      }
    }
  }
}

function perNode(ix: IortIndex, i: number, n: IortNode, out: Finding[]): void {
  const f = n.fields;
  const add = (severity: Finding['severity'], code: string, message: string) =>
    out.push({ severity, code, structure: i, message });
  if (n.name === 'UNKNOWN') add('info', 'UNKNOWN_NODE', `node of unknown type ${n.type} kept as raw bytes`);
  if ((n.type === IORT_SMMU || n.type === IORT_SMMU_V3) && BigInt(f.BaseAddress ?? 0) === 0n)
    add('error', 'SMMU_BASE_ZERO', `${n.name} node with base address 0`);
  if (n.type === IORT_ITS_GROUP && (n.itsIds ?? []).length === 0)
    add(
      'error',
      'ITS_EMPTY',
      'ITS group with no ITS identifier (Linux: "requested ITS ID index [0] overruns ITS entries [0]")',
    );
  if (n.type === IORT_ROOT_COMPLEX && n.revision >= 1 && Number(f.MemoryAddressSizeLimit ?? 1) === 0)
    add('warning', 'NO_MEMORY_LIMIT', `Linux: "${IORT_LOG_PREFIX}${FW_BUG}Root complex missing memory address limit"`);
  if (n.type === IORT_NAMED_COMPONENT && Number(f.MemoryAddressSizeLimit ?? 0) === 0)
    add(
      'warning',
      'NO_MEMORY_LIMIT',
      `Linux: "${IORT_LOG_PREFIX}${FW_BUG}Named component missing memory address limit"`,
    );
  if (n.type === IORT_NAMED_COMPONENT && !n.deviceName)
    add('warning', 'NC_NO_NAME', 'named component without a device name');
  if (n.type === IORT_SMMU_V3) {
    const wired = f.EventGsiv && f.GerrGsiv;
    if (!wired && iortGetIdMappingIndex(n, ix.offsets[i]!).index < 0)
      add(
        'warning',
        'SMMU_NO_IRQ',
        'SMMUv3 with no event/GERR GSIV and no valid DeviceID mapping for MSIs (arm-smmu-v3: "no evtq irq - events will not be reported!")',
      );
  }
  if (n.type === IORT_RMR && ix.table.header.revision < 5)
    add(
      'info',
      'RMR_IGNORED',
      `RMR node in a revision ${ix.table.header.revision} table: Linux reads RMRs only from revision 5 (E.d)`,
    );
}

export function validateIort(t: IortTable): Finding[] {
  const out: Finding[] = [];
  const ix = new IortIndex(t);
  if (t.nodeCount > t.nodes.length)
    out.push({
      severity: 'error',
      code: 'NODE_COUNT',
      message: `Number of IORT nodes says ${t.nodeCount}, the table holds ${t.nodes.length} (Linux: "IORT node pointer overflows, bad table!")`,
    });
  if (t.trailing?.length)
    out.push({ severity: 'info', code: 'TRAILING', message: `${t.trailing.length} bytes after the last node` });
  if (t.header.revision === 4)
    out.push({ severity: 'warning', code: 'REVISION', message: 'table revision 4 (DEN0049 E.c) is deprecated' });
  const segments = new Map<number, number>();
  t.nodes.forEach((n, i) => {
    perNode(ix, i, n, out);
    references(ix, i, out);
    if (n.name !== 'UNKNOWN' && n.type !== IORT_RMR) {
      const walked = walkedMappings(ix, i, out);
      singleMappings(ix, i, walked, out);
      overlaps(ix, i, walked, out);
    }
    if (n.type === IORT_ROOT_COMPLEX) {
      const seg = Number(n.fields.PciSegmentNumber ?? 0);
      if (segments.has(seg))
        out.push({
          severity: 'warning',
          code: 'DUPLICATE_SEGMENT',
          structure: i,
          message: `a second root complex for PCI segment ${seg}: Linux uses node ${segments.get(seg)} for all its devices`,
        });
      else segments.set(seg, i);
    }
  });
  cycles(ix, out);
  const rmrLog = new Set<string>();
  t.nodes.forEach((n, i) => {
    if (n.type === IORT_SMMU || n.type === IORT_SMMU_V3) for (const l of iortRmrRegions(ix, i).log) rmrLog.add(l);
  });
  for (const l of rmrLog) out.push({ severity: 'warning', code: 'RMR', message: `Linux: "${l}"` });
  if (!t.nodes.some((n) => n.type === IORT_SMMU || n.type === IORT_SMMU_V3))
    out.push({ severity: 'info', code: 'NO_IOMMU', message: 'no SMMU node: devices are not translated' });
  return out;
}
