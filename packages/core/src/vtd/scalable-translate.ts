// SPDX-License-Identifier: Apache-2.0
// Translation in VT-d scalable mode (spec rev 4.1 §3.6 first-stage, §3.7 second-stage, §3.8
// nested): the PASID entry selects the stage(s). In nested translation every first-stage table
// pointer and the final first-stage output are guest-physical addresses, each translated through
// the second stage before use. Results are cached in the IOTLB tagged by DID and PASID.
//
// Model departures: no PASID-cache or paging-structure caches (every IOTLB miss re-reads the
// PASID structures and walks); accessed/dirty bits are not written back.

import { getAddress, getField, getNumber } from '../bits/bitfield';
import type { Iotlb } from '../caches/iotlb';
import type { DmaRequest, TranslationOut } from '../iommu/translation';
import type { PhysMemory } from '../memory/phys-memory';
import {
  ENTRY_EMPTY,
  ENTRY_LEAF,
  newWalkOut,
  type PageTableFormat,
  PERM_READ,
  PERM_WRITE,
  WALK_BAD_POINTER,
  WALK_BEYOND_WIDTH,
  WALK_OK,
  WALK_PERMISSION,
  WALK_RESERVED,
  type WalkOut,
} from '../page-table/format';
import { addrHi, addrLo, levelShift, POW2, tableIndex } from '../page-table/level-math';
import { vtdFirstStageFormat } from '../page-table/vtd-first-stage';
import { nestedEntryKind, setFault, setNestedLeaf, walk } from '../page-table/walk';
import { HW_IOTLB_HIT, HW_IOTLB_MISS, HW_WALK_MEM_READS, type HwCounters } from '../stats/hw-counters';
import { reportVtdFault } from './fault-report';
import type { FaultRecorder } from './faults';
import { PASID_ENTRY } from './fields';
import { PGTT, ScalableModeTables, SM_FAULT } from './scalable-mode';

/** What the scalable-mode translator needs of its unit (VtdUnit implements it). */
export interface ScalableHost {
  readonly mem: PhysMemory;
  readonly format: PageTableFormat;
  readonly counters: HwCounters;
  readonly iotlb: Iotlb;
  readonly faults: FaultRecorder;
}

export class ScalableTranslator {
  readonly tables: ScalableModeTables;
  private readonly fs4: PageTableFormat;
  private readonly fs5: PageTableFormat;
  private readonly w: WalkOut = newWalkOut();

  constructor(private readonly unit: ScalableHost) {
    this.tables = new ScalableModeTables(unit.mem);
    this.fs4 = vtdFirstStageFormat({ levels: 4, pages1G: true });
    this.fs5 = vtdFirstStageFormat({ levels: 5, pages1G: true });
  }

  private get mem(): PhysMemory {
    return this.unit.mem;
  }

  translate(req: DmaRequest, out: TranslationOut): void {
    const c = this.unit.counters.c;
    out.memReads = 0;
    out.iotlbHit = false;
    out.fault = null;
    const r = this.tables.lookup(req.sourceId, req.pasid);
    out.memReads += r.reads;
    c[HW_WALK_MEM_READS]! += r.reads;
    if (r.fault) {
      this.fault(req, out, r.fault, 0);
      return;
    }
    const pe = r.entry;
    const pgtt = getNumber(pe, PASID_ENTRY, 'PGTT');
    const did = getNumber(pe, PASID_ENTRY, 'DID');
    const pasid = req.pasid >= 0 ? req.pasid : r.rid;
    if (pgtt === PGTT.PASS_THROUGH) {
      out.ok = true;
      out.pa = req.address;
      out.sizeLg2 = 12;
      return;
    }
    const need = req.write ? PERM_WRITE : PERM_READ;
    const iotlb = this.unit.iotlb;
    if (iotlb.find(did, pasid, req) >= 0 && (iotlb.lastPerm & need) !== 0) {
      c[HW_IOTLB_HIT]!++;
      out.ok = true;
      out.iotlbHit = true;
      out.pa = iotlb.lastPa;
      out.sizeLg2 = iotlb.lastSizeLg2;
      return;
    }
    c[HW_IOTLB_MISS]!++;
    const sl = getAddress(pe, PASID_ENTRY, 'SLPTPTR');
    const fl = getAddress(pe, PASID_ENTRY, 'FLPTPTR');
    const fsFmt = getField(pe, PASID_ENTRY, 'FLPM') === 1n ? this.fs5 : this.fs4;
    const w = this.w;
    if (pgtt === PGTT.FIRST_STAGE) walk(this.mem, fsFmt, fl, req.address, need, w);
    else if (pgtt === PGTT.NESTED) this.nestedWalk(fsFmt, fl, sl, req.address, need, w);
    else walk(this.mem, this.unit.format, sl, req.address, need, w);
    out.memReads += w.levelsRead;
    c[HW_WALK_MEM_READS]! += w.levelsRead;
    if (w.status !== WALK_OK) {
      this.fault(req, out, this.walkFault(w.status, pgtt, req.write), did);
      return;
    }
    const size = POW2[w.sizeLg2]!;
    this.unit.iotlb.insert(did, pasid, req.address, w.pa - (req.address % size), w.sizeLg2, w.perm);
    out.ok = true;
    out.pa = w.pa;
    out.sizeLg2 = w.sizeLg2;
  }

  /** Second-stage translation of a guest-physical address (used by the nested walk). */
  private slTranslate(sl: number, gpa: number, need: number, w: WalkOut): number {
    walk(this.mem, this.unit.format, sl, gpa, need, w);
    return w.status === WALK_OK ? w.pa : -1;
  }

  /** Nested: first-stage table pointers and output are GPAs, each resolved through the second stage. */
  private nestedWalk(fs: PageTableFormat, flGpa: number, sl: number, iova: number, need: number, out: WalkOut): void {
    const inner = newWalkOut();
    let reads = 0;
    let tableGpa = flGpa;
    let perm = PERM_READ | PERM_WRITE;
    const lo = addrLo(iova);
    const hi = addrHi(iova);
    for (let level = fs.levels; level >= 1; level--) {
      const tableHpa = this.slTranslate(sl, tableGpa, PERM_READ, inner);
      reads += inner.levelsRead;
      if (tableHpa < 0) {
        setFault(out, inner.status === WALK_RESERVED ? WALK_RESERVED : WALK_BAD_POINTER, level, reads, perm);
        return;
      }
      const words = this.mem.words(Math.floor(tableHpa / 4096));
      if (!words) {
        setFault(out, WALK_BAD_POINTER, level, reads, perm);
        return;
      }
      const idx = tableIndex(lo, hi, level);
      const elo = words[2 * idx]!;
      const ehi = words[2 * idx + 1]!;
      reads++;
      const kind = nestedEntryKind(fs, elo, ehi, level, reads, perm, out);
      if (kind === ENTRY_EMPTY) return;
      perm &= fs.entryPerm(elo, ehi, level);
      if (kind === ENTRY_LEAF) {
        const sizeLg2 = levelShift(level);
        const gpa = fs.entryOutputAddress(elo, ehi, level) + (iova % POW2[sizeLg2]!);
        const hpa = this.slTranslate(sl, gpa, need, inner);
        reads += inner.levelsRead;
        if (hpa < 0) {
          setFault(out, inner.status, level, reads, perm);
          return;
        }
        const status = (need & ~(perm & inner.perm)) === 0 ? WALK_OK : WALK_PERMISSION;
        setNestedLeaf(out, status, hpa, sizeLg2, perm, inner, reads, level);
        return;
      }
      tableGpa = fs.entryOutputAddress(elo, ehi, level);
    }
  }

  private walkFault(status: number, pgtt: number, write: boolean): number {
    if (status === WALK_PERMISSION) return write ? SM_FAULT.NO_WRITE : SM_FAULT.NO_READ;
    if (pgtt === PGTT.FIRST_STAGE) return status === WALK_RESERVED ? SM_FAULT.FL_RESERVED : SM_FAULT.FL_NOT_PRESENT;
    if (status === WALK_BEYOND_WIDTH) return SM_FAULT.SL_BEYOND;
    if (status === WALK_RESERVED) return SM_FAULT.SL_RESERVED;
    if (status === WALK_BAD_POINTER) return SM_FAULT.SL_BAD_POINTER;
    return SM_FAULT.SL_PERMISSION;
  }

  private fault(req: DmaRequest, out: TranslationOut, reason: number, did: number): void {
    reportVtdFault(this.unit.counters.c, this.unit.faults, req, out, reason, did, true);
  }
}
