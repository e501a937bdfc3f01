// SPDX-License-Identifier: Apache-2.0
// The IORT an Arm host's firmware would carry, from the minimal IOMMU description of a host file
// (docs/acpi.md, "An Arm host's IORT"): SMMUv3 units, each translating a requester-ID range of one
// PCI segment (root complex) to stream IDs; GIC ITS groups; reserved ranges of devices behind an
// SMMU (RMR nodes, as RMRRs are on Intel). Every RID of a segment that no unit translates goes
// straight to the ITS, untranslated, as on QEMU's virt machine for buses that bypass the SMMU.
// One root complex per segment. Simplification: no named components, no PMCG, no SMMUv1/v2.

import { AcpiDecodeError } from '../errors';
import type { IortSpec, RidRange, RmrSpec } from './build';

export interface ArmSmmuUnit {
  base: bigint;
  /** PCI segment whose requester IDs it translates (default 0). */
  segment?: number;
  /** First and last requester ID it translates (default: the whole segment, 0x0000-0xffff). */
  rids?: [number, number];
  /** Stream ID of the first RID (default: stream ID = RID). */
  streamIdBase?: number;
  /** ITS group (index) for its MSIs and its devices' (default 0). */
  its?: number;
  /** Proximity domain (NUMA node) of the SMMU. */
  numaNode?: number;
  /** Wired interrupts; absent: MSIs. */
  gsiv?: { event: number; pri: number; gerr: number; sync: number };
}

export interface ArmIommuDescription {
  /** GIC ITS identifiers per ITS group (default: one group, ITS 0). */
  its?: number[][];
  /** Root complexes support ATS. */
  ats?: boolean;
  units: ArmSmmuUnit[];
  /** Memory a device keeps using across boot (frame buffers, firmware rings): an RMR for its stream ID. */
  reserved?: { base: bigint; end: bigint; segment: number; rid: number }[];
  oemId?: string;
  oemTableId?: string;
}

const bad = (detail: string) => new AcpiDecodeError('BAD_INPUT', 'IORT', 0, 'host description', detail);
const ALL_RIDS: [number, number] = [0, 0xffff];

function unitCovering(d: ArmIommuDescription, segment: number, rid: number): number {
  return d.units.findIndex((u) => {
    const [first, last] = u.rids ?? ALL_RIDS;
    return (u.segment ?? 0) === segment && rid >= first && rid <= last;
  });
}

/** The requester-ID ranges of one segment: the units' and, between them, straight to the ITS. */
function segmentRanges(d: ArmIommuDescription, segment: number): RidRange[] {
  const units = d.units
    .map((u, i) => ({ u, i, rids: u.rids ?? ALL_RIDS }))
    .filter((x) => (x.u.segment ?? 0) === segment)
    .sort((a, b) => a.rids[0] - b.rids[0]);
  const its = units[0]?.u.its ?? 0;
  const out: RidRange[] = [];
  let next = 0;
  for (const { u, i, rids } of units) {
    if (rids[0] < next)
      throw bad(`iommu.units[${i}]: RIDs ${rids[0]}-${rids[1]} overlap another unit's in segment ${segment}`);
    if (rids[0] > next) out.push({ first: next, last: rids[0] - 1, itsGroup: its });
    const r: RidRange = { first: rids[0], last: rids[1], smmu: i };
    if (u.streamIdBase !== undefined) r.streamIdBase = u.streamIdBase;
    out.push(r);
    next = rids[1] + 1;
  }
  if (next <= 0xffff) out.push({ first: next, last: 0xffff, itsGroup: its });
  return out;
}

export function iortSpecForArmHost(d: ArmIommuDescription, pciSegments: readonly number[] = []): IortSpec {
  const segments = [...new Set([...d.units.map((u) => u.segment ?? 0), ...pciSegments])].sort((a, b) => a - b);
  const rmrs: RmrSpec[] = (d.reserved ?? []).map((r, k) => {
    const i = unitCovering(d, r.segment, r.rid);
    if (i < 0) throw bad(`reserved[${k}]: RID ${r.rid} of segment ${r.segment} is behind no SMMU`);
    if (r.end < r.base) throw bad(`reserved[${k}]: end ${r.end} is below base ${r.base}`);
    const u = d.units[i]!;
    const sid = (u.streamIdBase ?? (u.rids ?? ALL_RIDS)[0]) + r.rid - (u.rids ?? ALL_RIDS)[0];
    return { smmu: i, streamIds: [sid, sid], regions: [{ base: r.base, length: r.end - r.base + 1n }] };
  });
  const spec: IortSpec = {
    smmus: d.units.map((u) => ({
      base: u.base,
      ...(u.its !== undefined ? { itsGroup: u.its } : {}),
      ...(u.numaNode !== undefined ? { proximityDomain: u.numaNode } : {}),
      ...(u.gsiv ? { gsiv: u.gsiv } : {}),
    })),
    rootComplexes: segments.map((segment) => ({ segment, ats: d.ats === true, ranges: segmentRanges(d, segment) })),
    rmrs,
  };
  if (d.its) spec.itsGroups = d.its;
  if (d.oemId) spec.oemId = d.oemId;
  if (d.oemTableId) spec.oemTableId = d.oemTableId;
  return spec;
}
