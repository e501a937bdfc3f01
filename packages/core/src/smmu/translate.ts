// SPDX-License-Identifier: Apache-2.0
// One SMMUv3's translation of a DMA request (IHI 0070 G.b §3.2 "Translation procedure" and §3.4):
// the StreamID's configuration from the configuration cache (or fetched: STE, CD), then the TLB
// tagged by ASID/VMID, then the stage-1 / stage-2 / nested walk (through the walk caches for a
// single stage). A fault is a value: the event record goes to the event queue (when the stage's
// R bit says to record it), and the TranslationFault carries the event code and Linux's line.
// ATS translation requests from a device with an address translation cache (ATC) are answered
// only when the STE allows them (EATS), else F_BAD_ATS_TREQ.
//
// Order of checks on a TLB miss, per §3.4 and Arm ARM D8.x: input range (Translation), descriptor
// validity (Translation), output size (Address size), access flag (Access), permission
// (Permission). A TLB hit without the needed permission walks again to report the stage that
// refuses it.

import type { Iotlb } from '../caches/iotlb';
import type { DmaRequest, TranslationFault, TranslationOut } from '../iommu/translation';
import { cachedWalk } from '../page-table/cached-walk';
import {
  newWalkOut,
  PERM_READ,
  PERM_WRITE,
  WALK_ACCESS_FLAG,
  WALK_ADDRESS_SIZE,
  WALK_BAD_POINTER,
  WALK_OK,
  WALK_PERMISSION,
  type WalkOut,
} from '../page-table/format';
import { addrHi, pfnOfHalves } from '../page-table/level-math';
import { newWalkPath, walk32 } from '../page-table/walk';
import {
  HW_CONTEXT_CACHE_HIT,
  HW_CONTEXT_CACHE_MISS,
  HW_FAULTS,
  HW_IOTLB_HIT,
  HW_IOTLB_MISS,
  HW_PSC_HIT,
  HW_TRANSLATIONS,
  HW_WALK_MEM_READS,
  type HwCounters,
} from '../stats/hw-counters';
import { CFG, type ConfigEnv, loadConfig, type SmmuConfig } from './config';
import { EVT, EVT_CLASS, EVT_NAME, type EventQueue, encodeEvent, linuxEventLines, type SmmuEvent } from './event-queue';
import { nestedWalk, newNestedInfo } from './nested-walk';

/** Walk statuses to event types; anything else (not present, reserved, beyond width) is a Translation fault. */
const WALK_EVENT: Readonly<Record<number, number>> = {
  [WALK_ADDRESS_SIZE]: EVT.F_ADDR_SIZE,
  [WALK_ACCESS_FLAG]: EVT.F_ACCESS,
  [WALK_PERMISSION]: EVT.F_PERMISSION,
  [WALK_BAD_POINTER]: EVT.F_WALK_EABT,
};

export interface TranslatorEnv extends ConfigEnv {
  counters: HwCounters;
  events: EventQueue;
  /** The SMMU's device name, for Linux's lines. */
  name: string;
  /** ATCs of ATS-enabled devices, by StreamID. */
  atc: Map<number, Iotlb>;
  /** dev_name() of the master owning a StreamID, or undefined. */
  clientOf(sid: number): string | undefined;
}

/** StreamIDs below this have a slot in the translating-configuration index (64 Ki, as the PCI RIDs). */
const INDEXED_SIDS = 65536;

export class SmmuTranslator {
  /** The configuration cache (STEs and CDs, invalid ones too), by StreamID and SubstreamID. */
  private readonly cache = new Map<number, SmmuConfig>();
  /**
   * The model's index into `cache` for the hot path (not a hardware structure): by StreamID below
   * INDEXED_SIDS, the cached configuration of transactions without a SubstreamID when it
   * translates through the TLB (CFG.TRANSLATE with a stage), else undefined. Kept in step with
   * `cache` by every fill and invalidation; allocated on the first such fill (512 KiB), so units
   * that never translate do not carry it.
   */
  private bySid: (SmmuConfig | undefined)[] = [];
  private readonly cnt: Float64Array;
  /** env.contexts.tlb and env.atc, held for the hot path. */
  private readonly tlb: Iotlb;
  private readonly atc: Map<number, Iotlb>;
  private readonly w = newWalkOut();
  private readonly inner = newWalkOut();
  private readonly path = newWalkPath();
  private readonly nested = newNestedInfo();

  constructor(private readonly env: TranslatorEnv) {
    this.cnt = env.counters.c;
    this.tlb = env.contexts.tlb;
    this.atc = env.atc;
  }

  private static key(sid: number, ssid: number): number {
    return ssid < 0 ? sid : sid + (ssid + 1) * 4294967296;
  }

  /** CMD_CFGI_STE / CFGI_CD_ALL: every cached configuration of `sid`. */
  invalidateStream(sid: number): void {
    this.invalidateStreams(sid, 1);
  }
  /** CMD_CFGI_STE_RANGE: the configurations of StreamIDs [first, first + count). */
  invalidateStreams(first: number, count: number): void {
    for (const k of this.cache.keys()) {
      const sid = k % 4294967296;
      if (sid >= first && sid < first + count) this.cache.delete(k);
    }
    const end = Math.min(first + count, this.bySid.length);
    for (let sid = first; sid < end; sid++) this.bySid[sid] = undefined;
  }
  /** CMD_CFGI_CD: the CD of (sid, ssid); SubstreamID 0 also serves traffic without one (S1DSS = SSID0). */
  invalidateCd(sid: number, ssid: number): void {
    this.cache.delete(SmmuTranslator.key(sid, ssid));
    if (ssid === 0) {
      this.cache.delete(sid);
      if (sid < this.bySid.length) this.bySid[sid] = undefined;
    }
  }
  invalidateAll(): void {
    this.cache.clear();
    this.bySid.fill(undefined);
  }
  /** CMD_PREFETCH_CONFIG: load the configuration of `sid` now. */
  prefetch(sid: number): void {
    if (!this.cache.has(sid)) this.remember(sid, -1, loadConfig(this.env, sid, -1));
  }
  get cachedConfigs(): number {
    return this.cache.size;
  }

  /** Caches a configuration just loaded (and indexes it by StreamID when it translates through the TLB). */
  private remember(sid: number, ssid: number, cfg: SmmuConfig): void {
    this.cache.set(SmmuTranslator.key(sid, ssid), cfg);
    if (ssid >= 0 || sid >= INDEXED_SIDS || cfg.kind !== CFG.TRANSLATE || (cfg.s1 === null && cfg.s2 === null)) return;
    if (this.bySid.length === 0) this.bySid = new Array<SmmuConfig | undefined>(INDEXED_SIDS).fill(undefined);
    this.bySid[sid] = cfg;
  }

  /** The configuration of a request, from the cache or fetched (counted as a context-cache miss). */
  private config(sid: number, ssid: number, out: TranslationOut): SmmuConfig {
    const c = this.cnt;
    let cfg = this.cache.get(SmmuTranslator.key(sid, ssid));
    if (cfg === undefined) {
      cfg = loadConfig(this.env, sid, ssid);
      this.remember(sid, ssid, cfg);
      c[HW_CONTEXT_CACHE_MISS]!++;
      c[HW_WALK_MEM_READS]! += cfg.reads;
      out.memReads += cfg.reads;
    } else c[HW_CONTEXT_CACHE_HIT]!++;
    return cfg;
  }

  /**
   * Translates one DMA request (hot path: no allocation unless it faults). The common case — a
   * cached configuration that translates through the TLB, no SubstreamID, no ATC on the unit —
   * goes straight to the TLB; everything else takes translateConfig() first, the walk is miss().
   * Kept small so that V8 can inline it into its callers, as VT-d's LegacyTranslator.translate()
   * (issue #19); the TLB is asked through Iotlb.find(), which returns no double to box.
   */
  translate(req: DmaRequest, out: TranslationOut): void {
    const c = this.cnt;
    c[HW_TRANSLATIONS]!++;
    out.memReads = 0;
    out.iotlbHit = false;
    out.fault = null;
    const sid = req.sourceId;
    let cfg = req.pasid < 0 && sid < this.bySid.length ? this.bySid[sid] : undefined;
    if (cfg === undefined || this.atc.size !== 0) {
      cfg = this.translateConfig(req, out);
      if (cfg === undefined) return;
    } else c[HW_CONTEXT_CACHE_HIT]!++;
    const tlb = this.tlb;
    if (tlb.find(cfg.ctx, 0, req) >= 0) {
      c[HW_IOTLB_HIT]!++;
      if ((tlb.lastPerm & (req.write ? PERM_WRITE : PERM_READ)) !== 0) {
        out.ok = true;
        out.iotlbHit = true;
        out.pa = tlb.lastPa;
        out.sizeLg2 = tlb.lastSizeLg2;
        return;
      }
    } else c[HW_IOTLB_MISS]!++;
    this.miss(req, out, cfg);
  }

  /**
   * translate() through the configuration cache: fetches, bypass/abort/faults, SubstreamIDs and
   * ATS. Returns the configuration when the request goes on to the TLB, else undefined (`out` is
   * its result).
   */
  private translateConfig(req: DmaRequest, out: TranslationOut): SmmuConfig | undefined {
    const cfg = this.config(req.sourceId, req.pasid, out);
    if (cfg.kind !== CFG.TRANSLATE) {
      this.untranslated(req, out, cfg);
      return undefined;
    }
    const atc = this.atcOf(req.sourceId);
    if (atc !== undefined) {
      // The device asks its own ATC first; a miss is an ATS Translation Request (§3.9).
      if (cfg.eats === 0) {
        this.fault(req, out, cfg, EVT.F_BAD_ATS_TREQ, false, EVT_CLASS.IN, 0);
        return undefined;
      }
      if (atc.find(0, req.pasid + 1, req) >= 0 && (atc.lastPerm & (req.write ? PERM_WRITE : PERM_READ)) !== 0) {
        out.ok = true;
        out.iotlbHit = true;
        out.pa = atc.lastPa;
        out.sizeLg2 = atc.lastSizeLg2;
        return undefined;
      }
    }
    if (cfg.s1 === null && cfg.s2 === null) {
      out.ok = true; // S1DSS = bypass with no stage 2
      out.pa = req.address;
      out.sizeLg2 = 12;
      return undefined;
    }
    return cfg;
  }

  /** The ATC of an ATS-enabled device, or undefined. */
  private atcOf(sid: number): Iotlb | undefined {
    return this.atc.size > 0 ? this.atc.get(sid) : undefined;
  }

  /**
   * The TLB missed, or its entry lacks the permission (the walk then reports the stage that
   * refuses it): walk, fill the TLB and the device's ATC. A method of its own so that translate()
   * stays small.
   */
  private miss(req: DmaRequest, out: TranslationOut, cfg: SmmuConfig): void {
    const w = this.w;
    // The address as its 32-bit halves: a double passed to a call not inlined is boxed (walk32()).
    const a = req.address;
    const lo = a | 0;
    const hi = addrHi(a);
    const s2Fault = this.walk(cfg, lo, hi, req.write ? PERM_WRITE : PERM_READ, w);
    this.cnt[HW_WALK_MEM_READS]! += w.levelsRead;
    out.memReads += w.levelsRead;
    if (w.status !== WALK_OK) {
      const event = WALK_EVENT[w.status] ?? EVT.F_TRANSLATION;
      this.fault(req, out, cfg, event, s2Fault, this.nested.class, this.nested.ipa);
      return;
    }
    // The pages holding the address and w.pa, as 4 KiB page numbers (Iotlb.fill()).
    const ivPfn = pfnOfHalves(lo, hi);
    const outPfn = Math.floor(w.pa / 4096);
    this.tlb.fill(cfg.ctx, 0, ivPfn, outPfn, w.sizeLg2, w.perm);
    this.atcOf(req.sourceId)?.fill(0, req.pasid + 1, ivPfn, outPfn, w.sizeLg2, w.perm);
    out.ok = true;
    out.pa = w.pa;
    out.sizeLg2 = w.sizeLg2;
  }

  /**
   * Walks the configured stage(s) for the address whose 32-bit halves are `lo` (signed) and `hi`
   * (walk32(): no heap number per call); returns true when a fault is stage 2's (nested.class/ipa set).
   */
  private walk(cfg: SmmuConfig, lo: number, hi: number, need: number, w: WalkOut): boolean {
    const addr = hi * 4294967296 + (lo >>> 0);
    const n = this.nested;
    n.class = EVT_CLASS.IN;
    n.ipa = 0;
    const { mem, contexts } = this.env;
    if (cfg.s1 !== null && cfg.s1Disabled) {
      w.status = -1; // CD.EPD0: no walk through TTB0, a Translation fault
      w.levelsRead = 0;
      return false;
    }
    if (cfg.s1 !== null && cfg.s2 !== null) {
      nestedWalk(mem, cfg.s1, cfg.s1Root, cfg.s2, cfg.s2Root, addr, need, w, this.inner, n);
      return n.s2;
    }
    const fmt = cfg.s1 ?? cfg.s2!;
    const root = cfg.s1 !== null ? cfg.s1Root : cfg.s2Root;
    const wc = contexts.walkCache(fmt.granuleLg2, fmt.levels);
    if (wc === null || !(addr < 2 ** fmt.inputWidth)) walk32(mem, fmt, root, lo, hi, need, w);
    else if (cachedWalk(mem, fmt, wc, cfg.ctx, root, lo, hi, need, w, this.path)) this.env.counters.c[HW_PSC_HIT]!++;
    if (cfg.s1 === null) n.ipa = addr;
    return cfg.s1 === null;
  }

  /** Abort (no event), bypass, or a configuration fault. */
  private untranslated(req: DmaRequest, out: TranslationOut, cfg: SmmuConfig): void {
    if (cfg.kind === CFG.BYPASS) {
      out.ok = true;
      out.pa = req.address;
      out.sizeLg2 = 12;
    } else if (cfg.kind === CFG.ABORT) {
      // STE.Config = 0b000: the transaction is aborted and no event is recorded (§5.2).
      this.env.counters.c[HW_FAULTS]!++;
      out.ok = false;
      out.fault = this.faultValue(req, 0, 'STE.Config abort (no event recorded)', 0, '');
    } else if (cfg.kind === CFG.FAULT) {
      this.fault(req, out, cfg, cfg.event, cfg.faultS2, cfg.faultS2 ? EVT_CLASS.CD : EVT_CLASS.IN, cfg.faultIpa);
    }
  }

  private fault(
    req: DmaRequest,
    out: TranslationOut,
    cfg: SmmuConfig,
    type: number,
    s2: boolean,
    cls: number,
    ipa: number,
  ): void {
    this.env.counters.c[HW_FAULTS]!++;
    const translationFault = type >= EVT.F_TRANSLATION && type <= EVT.F_PERMISSION;
    const record = !translationFault || (s2 ? cfg.recordS2 : cfg.recordS1);
    const e: SmmuEvent = {
      type,
      sid: req.sourceId,
      ssid: req.pasid,
      read: !req.write,
      s2,
      class: cls,
      inputAddr: req.address,
      ipa: s2 ? ipa : 0,
      fetchAddr: type === EVT.F_WALK_EABT ? 0 : cfg.kind === CFG.FAULT ? cfg.fetchAddr : 0,
      ttRead: cls === EVT_CLASS.TT,
    };
    let line = '';
    if (record) {
      this.env.events.append(e);
      line = linuxEventLines(encodeEvent(e), this.env.name, this.env.clientOf(req.sourceId))[5]!;
    }
    out.ok = false;
    out.fault = this.faultValue(req, type, EVT_NAME[type] ?? 'UNKNOWN', s2 ? cfg.vmid : cfg.asid, line);
  }

  private faultValue(req: DmaRequest, reason: number, text: string, domainId: number, line: string): TranslationFault {
    return {
      unit: 'smmu',
      reason,
      reasonText: text,
      sourceId: req.sourceId,
      segment: req.segment,
      address: req.address,
      write: req.write,
      pasid: req.pasid,
      domainId,
      flags: 0,
      logLine: line,
    };
  }
}
