// SPDX-License-Identifier: Apache-2.0
// Builds an IORT from a platform description (for an Arm host to boot from): GIC ITS groups,
// SMMUv3 units, PCI root complexes whose requester-ID ranges go through an SMMU (stream ID =
// streamIdBase + RID - first) or straight to an ITS group (no translation), and optional reserved
// memory ranges. Layout and revisions follow DEN0049 E.d as ACPICA's iasl 20250404 template lays
// it out: table revision 5, ITS group 1, root complex 4, SMMUv3 4, RMR 3. An SMMUv3 either has all
// four interrupts wired (GSIVs, as QEMU's virt machine) or signals by MSI through a single
// DeviceID mapping to its ITS group, named by DeviceID mapping index (Linux, for node revision 4,
// uses the index unless all four GSIVs are set: iort_get_id_mapping_index()). Each SMMU maps the
// stream IDs it receives to ITS DeviceIDs one to one. Checksum and lengths are computed.

import { AcpiDecodeError } from '../errors';
import type { AcpiHeader } from '../header';
import { encodeIort, type IortTable } from './iort';
import { field, IORT_ID_SINGLE_MAPPING, MEMORY_ACCESS_FLAGS, RC_ATS, RMR_FLAGS, SMMU_V3_FLAGS } from './layout';
import { type IdMapping, type IortNode, nodeLength } from './node';

export interface SmmuV3Spec {
  base: bigint;
  /** Wired interrupts; absent: the SMMU uses MSIs with DeviceID `msiDeviceId`. */
  gsiv?: { event: number; pri: number; gerr: number; sync: number };
  /** ITS DeviceID of the SMMU's own MSIs (default 0x10000 + the SMMU's index). */
  msiDeviceId?: number;
  /** ITS group (index) for its MSIs and its devices' (default 0). */
  itsGroup?: number;
  /** Coherent table walks and queue accesses (COHACC override, Flags bit 0; default true). */
  coherent?: boolean;
  proximityDomain?: number;
  /** 0 generic (default), 1 HiSilicon Hi161x, 2 Cavium CN99xx. */
  model?: number;
}

export interface RidRange {
  first: number;
  last: number;
  /** SMMU (index) that translates these requester IDs; absent: they go to `itsGroup` untranslated. */
  smmu?: number;
  /** Stream ID of `first` (default `first`: stream ID = requester ID). */
  streamIdBase?: number;
  itsGroup?: number;
}

export interface RootComplexSpec {
  segment: number;
  ats?: boolean;
  pri?: boolean;
  /** Default true: CCA 1 and memory access flags CPM|DACS, as QEMU and server firmware set them. */
  coherent?: boolean;
  /** Address bits the root complex drives (default 64: no limit). */
  memoryAddressSizeLimit?: number;
  ranges: RidRange[];
}

export interface RmrSpec {
  smmu: number;
  /** Stream IDs [first, last] the ranges are reserved for. */
  streamIds: [number, number];
  regions: { base: bigint; length: bigint }[];
  /** Flags bit 0: the OS may remap the range (IOMMU_RESV_DIRECT_RELAXABLE). */
  remapPermitted?: boolean;
}

export interface IortSpec {
  /** GIC ITS identifiers of each ITS group (default: one group with ITS 0). */
  itsGroups?: number[][];
  smmus: SmmuV3Spec[];
  rootComplexes: RootComplexSpec[];
  rmrs?: RmrSpec[];
  oemId?: string;
  oemTableId?: string;
}

type Ref = { kind: 'its' | 'smmu'; index: number };
type Draft = IortNode & { refs: (Ref | undefined)[] };

const bad = (detail: string): AcpiDecodeError => new AcpiDecodeError('BAD_INPUT', 'IORT', 0, 'build spec', detail);

function map(inputBase: number, idCount: number, outputBase: number, to: Ref, flags = 0): [IdMapping, Ref] {
  return [{ inputBase, idCount, outputBase, outputReference: 0, flags }, to];
}

function draft(
  type: number,
  revision: number,
  fields: IortNode['fields'],
  maps: [IdMapping, Ref][],
  mappingOffset: number,
): Draft {
  return {
    type,
    name: (['ITS_GROUP', 'NAMED_COMPONENT', 'ROOT_COMPLEX', 'SMMU', 'SMMU_V3', 'PMCG', 'RMR'] as const)[type]!,
    revision,
    identifier: 0,
    mappingOffset: maps.length ? mappingOffset : 0,
    fields,
    mappings: maps.map(([m]) => m),
    refs: maps.map(([, r]) => r),
  };
}

function checkSpec(spec: IortSpec, groups: number): void {
  const its = (g: number | undefined, where: string) => {
    if ((g ?? 0) < 0 || (g ?? 0) >= groups) throw bad(`${where}: no ITS group ${g}`);
  };
  spec.smmus.forEach((s, i) => {
    its(s.itsGroup, `smmus[${i}]`);
    if (s.gsiv && !(s.gsiv.event && s.gsiv.pri && s.gsiv.gerr && s.gsiv.sync))
      throw bad(`smmus[${i}]: a wired SMMU needs all four GSIVs (else Linux takes mapping 0 for its MSIs)`);
  });
  spec.rootComplexes.forEach((rc, i) => {
    const sorted = [...rc.ranges].sort((a, b) => a.first - b.first);
    sorted.forEach((r, k) => {
      const where = `rootComplexes[${i}] RIDs ${r.first}-${r.last}`;
      if (!(r.first >= 0 && r.first <= r.last && r.last <= 0xffff)) throw bad(`${where}: not a range of 16-bit RIDs`);
      if (k > 0 && r.first <= sorted[k - 1]!.last) throw bad(`${where}: overlaps another range`);
      if (r.smmu !== undefined && (r.smmu < 0 || r.smmu >= spec.smmus.length)) throw bad(`${where}: no SMMU ${r.smmu}`);
      its(r.itsGroup, where);
    });
  });
  for (const [i, r] of (spec.rmrs ?? []).entries())
    if (r.smmu < 0 || r.smmu >= spec.smmus.length) throw bad(`rmrs[${i}]: no SMMU ${r.smmu}`);
}

function smmuNode(spec: IortSpec, s: SmmuV3Spec, i: number): Draft {
  const its: Ref = { kind: 'its', index: s.itsGroup ?? 0 };
  const maps: [IdMapping, Ref][] = [];
  for (const rc of spec.rootComplexes)
    for (const r of rc.ranges)
      if (r.smmu === i) {
        const sid = r.streamIdBase ?? r.first;
        maps.push(map(sid, r.last - r.first, sid, its));
      }
  if (!s.gsiv) maps.push(map(0, 0, s.msiDeviceId ?? 0x10000 + i, its, IORT_ID_SINGLE_MAPPING));
  const g = s.gsiv ?? { event: 0, pri: 0, gerr: 0, sync: 0 };
  const fields = {
    BaseAddress: s.base,
    Flags:
      field(SMMU_V3_FLAGS.cohaccOverride, s.coherent === false ? 0 : 1) |
      field(SMMU_V3_FLAGS.proximityDomainValid, s.proximityDomain !== undefined ? 1 : 0),
    Reserved: 0,
    VatosAddress: 0n,
    Model: s.model ?? 0,
    EventGsiv: g.event,
    PriGsiv: g.pri,
    GerrGsiv: g.gerr,
    SyncGsiv: g.sync,
    ProximityDomain: s.proximityDomain ?? 0,
    DeviceIdMappingIndex: s.gsiv ? 0 : maps.length - 1,
  };
  return draft(4, 4, fields, maps, 68);
}

function rootComplexNode(rc: RootComplexSpec): Draft {
  const coherent = rc.coherent !== false;
  const maps = rc.ranges.map((r) =>
    r.smmu !== undefined
      ? map(r.first, r.last - r.first, r.streamIdBase ?? r.first, { kind: 'smmu', index: r.smmu })
      : map(r.first, r.last - r.first, r.first, { kind: 'its', index: r.itsGroup ?? 0 }),
  );
  const fields = {
    CacheCoherency: coherent ? 1 : 0,
    AllocationHints: 0,
    Reserved: 0,
    MemoryAccessFlags: coherent
      ? field(MEMORY_ACCESS_FLAGS.coherentPath, 1) | field(MEMORY_ACCESS_FLAGS.deviceAttributes, 1)
      : 0,
    AtsAttribute: field(RC_ATS.ats, rc.ats ? 1 : 0) | field(RC_ATS.pri, rc.pri ? 1 : 0),
    PciSegmentNumber: rc.segment,
    MemoryAddressSizeLimit: rc.memoryAddressSizeLimit ?? 64,
    PasidCapabilities: 0,
    Reserved1: 0,
  };
  return draft(2, 4, fields, maps, 36);
}

function rmrNode(r: RmrSpec): Draft {
  const descriptors = r.regions.map((x) => ({ baseAddress: x.base, length: x.length, reserved: 0 }));
  const maps = [map(r.streamIds[0], r.streamIds[1] - r.streamIds[0], r.streamIds[0], { kind: 'smmu', index: r.smmu })];
  const n = draft(
    6,
    3,
    { Flags: field(RMR_FLAGS.remapPermitted, r.remapPermitted ? 1 : 0), RmrOffset: 28 },
    maps,
    28 + 20 * descriptors.length,
  );
  n.rmrDescriptors = descriptors;
  return n;
}

function header(spec: IortSpec): AcpiHeader {
  return {
    signature: 'IORT',
    length: 0,
    revision: 5,
    checksum: 0,
    oemId: spec.oemId ?? 'IOFLT ',
    oemTableId: spec.oemTableId ?? 'IOFLEET ',
    oemRevision: 1,
    creatorId: 'IOFL',
    creatorRevision: 1,
  };
}

export function buildIort(spec: IortSpec): Uint8Array {
  const groups = spec.itsGroups ?? [[0]];
  checkSpec(spec, groups.length);
  const its: Draft[] = groups.map((ids) => ({ ...draft(0, 1, {}, [], 0), itsIds: ids }));
  const smmus = spec.smmus.map((s, i) => smmuNode(spec, s, i));
  const nodes = [...its, ...smmus, ...spec.rootComplexes.map(rootComplexNode), ...(spec.rmrs ?? []).map(rmrNode)];
  const offsets: number[] = [];
  let o = 48;
  nodes.forEach((n, i) => {
    n.identifier = i;
    offsets.push(o);
    o += nodeLength(n);
  });
  const at = (r: Ref) => offsets[r.kind === 'its' ? r.index : groups.length + r.index]!;
  for (const n of nodes)
    n.mappings.forEach((m, k) => {
      m.outputReference = at(n.refs[k]!);
    });
  const t: IortTable = {
    header: header(spec),
    nodeCount: nodes.length,
    reserved: 0,
    padding: [],
    nodes: nodes.map(({ refs: _refs, ...n }) => n),
  };
  return encodeIort(t, { fixChecksum: true });
}
