// SPDX-License-Identifier: Apache-2.0
// The translation hot path of a VT-d unit in legacy mode (VT-d spec rev 4.1 §3.4-3.6, §7.1.3):
// context cache, the context's AW width check, the device-TLB (ATS), the IOTLB, the second-stage
// walk (optionally through the paging-structure caches) and the fault path. Split out of
// vtd/unit.ts (issue #20); VtdUnit owns the state and programs it, this class only reads it.
// Scalable mode is scalable-translate.ts.

import type { Iotlb } from '../caches/iotlb';
import type { PagingStructureCache } from '../caches/paging-structure-cache';
import type { DmaRequest, TranslationOut } from '../iommu/translation';
import type { PhysMemory } from '../memory/phys-memory';
import { cachedWalk } from '../page-table/cached-walk';
import {
  newWalkOut,
  type PageTableFormat,
  PERM_READ,
  PERM_WRITE,
  WALK_BAD_POINTER,
  WALK_BEYOND_WIDTH,
  WALK_OK,
  WALK_RESERVED,
} from '../page-table/format';
import { addrHi, pfnOfHalves } from '../page-table/level-math';
import { type VtdSecondStageFormat, vtdWalk } from '../page-table/vtd-second-stage';
import { newWalkPath, type WalkPath, walk32 } from '../page-table/walk';
import {
  HW_CONTEXT_CACHE_HIT,
  HW_CONTEXT_CACHE_MISS,
  HW_IOTLB_HIT,
  HW_IOTLB_MISS,
  HW_PSC_HIT,
  HW_TRANSLATIONS,
  HW_WALK_MEM_READS,
} from '../stats/hw-counters';
import {
  CC_AW_MASK,
  CC_AW_SHIFT,
  CC_CACHED_MULTI_LEVEL,
  CC_CACHED_TT,
  CC_DID_SHIFT,
  CC_FPD,
  CC_TT_BITS,
  CC_TT_DEV_IOTLB,
  CC_TT_PASS_THROUGH,
  CC_VALID,
  type VtdContextCache,
} from './context-cache';
import { reportVtdFault } from './fault-report';
import { type FaultRecorder, VtdFault } from './faults';

/** Walk outcomes with their own fault reason; not-present and permission map to 0x05/0x06 by access. */
const WALK_FAULT: Readonly<Record<number, number>> = {
  [WALK_RESERVED]: VtdFault.PAGING_ENTRY_RESERVED,
  [WALK_BAD_POINTER]: VtdFault.PAGING_ENTRY_INVALID,
  [WALK_BEYOND_WIDTH]: VtdFault.BEYOND_MGAW,
};

/** What the legacy translation path reads; VtdUnit builds it once. */
export interface LegacyTranslatorParts {
  mem: PhysMemory;
  cnt: Float64Array;
  cc: VtdContextCache;
  iotlb: Iotlb;
  /** Second-stage paging-structure caches, used when `pscEnabled`. */
  psc: PagingStructureCache;
  pscEnabled: boolean;
  /** Device-TLBs by source id (ATS). */
  atc: Map<number, Iotlb>;
  faults: FaultRecorder;
  /** Second-stage format by context AW (1..3), its vtdWalk() form, and 2^width of each AW. */
  formatsByAw: (PageTableFormat | undefined)[];
  vtdFormatsByAw: (VtdSecondStageFormat | null)[];
  limitByAw: Float64Array;
}

export class LegacyTranslator {
  private readonly mem: PhysMemory;
  private readonly cnt: Float64Array;
  private readonly cc: VtdContextCache;
  private readonly iotlb: Iotlb;
  private readonly psc: PagingStructureCache;
  private readonly pscEnabled: boolean;
  private readonly atc: Map<number, Iotlb>;
  private readonly faults: FaultRecorder;
  private readonly formatsByAw: (PageTableFormat | undefined)[];
  private readonly vtdFormatsByAw: (VtdSecondStageFormat | null)[];
  private readonly limitByAw: Float64Array;
  private readonly walkOut = newWalkOut();
  private readonly path: WalkPath = newWalkPath();

  constructor(p: LegacyTranslatorParts) {
    this.mem = p.mem;
    this.cnt = p.cnt;
    this.cc = p.cc;
    this.iotlb = p.iotlb;
    this.psc = p.psc;
    this.pscEnabled = p.pscEnabled;
    this.atc = p.atc;
    this.faults = p.faults;
    this.formatsByAw = p.formatsByAw;
    this.vtdFormatsByAw = p.vtdFormatsByAw;
    this.limitByAw = p.limitByAw;
  }

  /**
   * Translates one DMA request (hot path: no allocation unless it faults). The common case — a
   * cached context with TT = 00b (second-stage translation, no device-TLB) — goes straight to the
   * IOTLB; everything else takes translateContext(). Kept small (and the IOTLB part in viaIotlb())
   * so that V8 can inline it into its callers: one call fewer per IOTLB hit (issue #19).
   */
  translate(req: DmaRequest, out: TranslationOut): void {
    const c = this.cnt;
    c[HW_TRANSLATIONS]!++;
    out.memReads = 0;
    out.iotlbHit = false;
    out.fault = null;
    // | 0: an unallocated cache reads undefined, i.e. not cached
    const ctx = this.cc.entry[req.sourceId]! | 0;
    if ((ctx & CC_CACHED_TT) !== CC_CACHED_MULTI_LEVEL) {
      this.translateContext(req, out, ctx);
      return;
    }
    c[HW_CONTEXT_CACHE_HIT]!++;
    this.viaIotlb(req, out, ctx, undefined);
  }

  /**
   * translate() for a context that is not cached yet (§7.1.3: read and checked, or a fault), a
   * pass-through context (TT = 10b) or one with a device-TLB (TT = 01b, ATS).
   */
  private translateContext(req: DmaRequest, out: TranslationOut, cached: number): void {
    const c = this.cnt;
    const sid = req.sourceId;
    let ctx = cached;
    if ((ctx & CC_VALID) !== 0) c[HW_CONTEXT_CACHE_HIT]!++;
    else {
      c[HW_CONTEXT_CACHE_MISS]!++;
      out.memReads += 2;
      const code = this.cc.load(sid);
      if (code) {
        this.fault(req, out, code, 0, 0);
        return;
      }
      ctx = this.cc.entry[sid]!;
    }
    if ((ctx & CC_TT_BITS) === CC_TT_PASS_THROUGH) {
      out.ok = true;
      out.pa = req.address;
      out.sizeLg2 = 12;
      return;
    }
    // Only a context with TT = 01b has a device-TLB (attachDevice() makes one with it).
    const atc = (ctx & CC_TT_BITS) === CC_TT_DEV_IOTLB ? this.atc.get(sid) : undefined;
    if (atc !== undefined) {
      // ATS: the device answers from its own translation cache without asking the IOMMU.
      if (atc.find(0, 0, req) >= 0 && (atc.lastPerm & (req.write ? PERM_WRITE : PERM_READ)) !== 0) {
        out.ok = true;
        out.iotlbHit = true;
        out.pa = atc.lastPa;
        out.sizeLg2 = atc.lastSizeLg2;
        return;
      }
    }
    this.viaIotlb(req, out, ctx, atc);
  }

  /** The IOTLB of a translating context: a hit (with the permission), else miss(). */
  private viaIotlb(req: DmaRequest, out: TranslationOut, ctx: number, atc: Iotlb | undefined): void {
    const iotlb = this.iotlb;
    const hit = iotlb.find(ctx >>> CC_DID_SHIFT, 0, req);
    if (hit < 0) {
      this.miss(req, out, ctx, atc);
      return;
    }
    this.cnt[HW_IOTLB_HIT]!++;
    if ((iotlb.lastPerm & (req.write ? PERM_WRITE : PERM_READ)) === 0) {
      this.denied(req, out, ctx);
      return;
    }
    out.ok = true;
    out.iotlbHit = true;
    out.pa = iotlb.lastPa;
    out.sizeLg2 = iotlb.lastSizeLg2;
  }

  /**
   * The IOTLB missed: walk the context's second-stage table (through the paging-structure caches
   * when on), fill the IOTLB (and the device-TLB). The whole slow path is this one method, on
   * purpose over V8's 460-byte limit for inlining a function (its bytecode is ~540 bytes): it is
   * then never inlined into viaIotlb(). When a smaller miss() was, viaIotlb()'s optimised code
   * carried it, and V8 charges a callee's already-inlined bytecode against the caller's inlining
   * budget: the hit path no longer fitted into a bench loop in some runs, which then ran ~20 %
   * slower — the bimodal hit figure of issue #19.
   */
  private miss(req: DmaRequest, out: TranslationOut, ctx: number, atc: Iotlb | undefined): void {
    const c = this.cnt;
    const did = ctx >>> CC_DID_SHIFT;
    const need = req.write ? PERM_WRITE : PERM_READ;
    c[HW_IOTLB_MISS]!++;
    // The context's address width is checked on the way to the walk, after the IOTLB, as QEMU's
    // vtd_do_iommu_translate() does (vtd_iova_sl_range_check() in the walk): an IOTLB entry exists
    // only for an address that passed it when the entry was filled.
    const aw = (ctx >>> CC_AW_SHIFT) & CC_AW_MASK;
    if (req.address >= this.limitByAw[aw]!) {
      this.fault(req, out, VtdFault.BEYOND_MGAW, did, ctx);
      return;
    }
    const w = this.walkOut;
    const rootPa = this.cc.root[req.sourceId]!;
    const fmt = this.formatsByAw[aw]!;
    // The address as its 32-bit halves: a double passed to a call not inlined is boxed (walk32()).
    const a = req.address;
    const lo = a | 0;
    const hi = addrHi(a);
    if (!this.pscEnabled) {
      const vf = this.vtdFormatsByAw[aw]!;
      // The specialised walk; the generic one when a pointer leaves the table pool (it reports why).
      if (vf === null || !vtdWalk(this.mem, vf, rootPa, lo, hi, need, w))
        walk32(this.mem, fmt, rootPa, lo, hi, need, w);
    } else if (cachedWalk(this.mem, fmt, this.psc, did, rootPa, lo, hi, need, w, this.path)) c[HW_PSC_HIT]!++;
    c[HW_WALK_MEM_READS]! += w.levelsRead;
    out.memReads += w.levelsRead;
    if (w.status !== WALK_OK) {
      const code = WALK_FAULT[w.status] ?? (req.write ? VtdFault.WRITE : VtdFault.READ);
      this.fault(req, out, code, did, ctx);
      return;
    }
    // The entry: the pages holding the address and w.pa, as 4 KiB page numbers (Iotlb.fill()).
    const ivPfn = pfnOfHalves(lo, hi);
    const outPfn = Math.floor(w.pa / 4096);
    this.iotlb.fill(did, 0, ivPfn, outPfn, w.sizeLg2, w.perm);
    atc?.fill(0, 0, ivPfn, outPfn, w.sizeLg2, w.perm);
    out.ok = true;
    out.pa = w.pa;
    out.sizeLg2 = w.sizeLg2;
  }

  /** An IOTLB hit without the access's permission: fault 0x05 (read) or 0x06 (write). Out of viaIotlb() to keep it small. */
  private denied(req: DmaRequest, out: TranslationOut, ctx: number): void {
    this.fault(req, out, req.write ? VtdFault.WRITE : VtdFault.READ, ctx >>> CC_DID_SHIFT, ctx);
  }

  /** `ctx`: the cached context entry (0 before one is cached); its FPD is read here, off the hit path. */
  private fault(req: DmaRequest, out: TranslationOut, reason: number, did: number, ctx: number): void {
    reportVtdFault(this.cnt, this.faults, req, out, reason, did, (ctx & CC_FPD) === 0);
  }
}
