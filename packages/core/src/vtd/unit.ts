// SPDX-License-Identifier: Apache-2.0
// One VT-d DMA-remapping unit (a DRHD) in legacy translation mode (VT-d spec rev 4.1 §3.4-3.6):
// a request's source id selects a root entry (by bus) and a context entry (by devfn), read from
// simulated memory; the context gives the domain id and the second-stage table, which is walked
// unless the IOTLB holds the translation. Faults are recorded (§7.2) and returned as values.
//
// The context entry's AW selects the second-stage walk (3, 4 or 5 levels) among the widths
// CAP.SAGAW reports; any other AW makes the entry invalid (0x03).
//
// Not modelled here: register-based invalidation (scalable mode is scalable-translate.ts).

import { getField } from '../bits/bitfield';
import { Iotlb } from '../caches/iotlb';
import { PagingStructureCache } from '../caches/paging-structure-cache';
import { CoreError } from '../errors';
import { DomainIds } from '../iommu/domain-ids';
import type { DmaRequest, TranslationFault, TranslationOut } from '../iommu/translation';
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
  type WalkOut,
} from '../page-table/format';
import { pageSizesLg2 } from '../page-table/level-math';
import {
  asVtdSecondStage,
  type VtdSecondStageFormat,
  vtdSecondStageFormat,
  vtdWalk,
} from '../page-table/vtd-second-stage';
import { newWalkPath, type WalkPath, walk } from '../page-table/walk';
import {
  HW_CONTEXT_CACHE_HIT,
  HW_CONTEXT_CACHE_MISS,
  HW_DEVICE_IOTLB_INV,
  HW_FAULTS,
  HW_INV_DESCRIPTORS,
  HW_INV_WAITS,
  HW_IOTLB_ENTRIES_INVALIDATED,
  HW_IOTLB_HIT,
  HW_IOTLB_MISS,
  HW_PSC_HIT,
  HW_TRANSLATIONS,
  HW_WALK_MEM_READS,
  HwCounters,
} from '../stats/hw-counters';
import { VtdDomain } from './domain';
import { dmarFaultLine, FaultRecorder, faultReasonText, VtdFault } from './faults';
import {
  contextCacheDesc,
  DESC_CONTEXT_CACHE,
  DESC_DEV_IOTLB,
  DESC_IOTLB,
  descType,
  InvalidationQueue,
  iotlbDesc,
  QI_CC_TYPE,
  QI_DIOTLB_TYPE,
  QI_GRAN_DOMAIN,
  QI_GRAN_GLOBAL,
  QI_GRAN_PAGE,
  QI_IEC_TYPE,
  QI_IOTLB_TYPE,
} from './invalidation';
import {
  agaw,
  capReg,
  DEFAULT_VTD_PARAMS,
  domainIdCount,
  ecapReg,
  sagaw,
  supportedWidths,
  type VtdParams,
} from './registers';
import {
  CONTEXT_TT_DEV_IOTLB,
  CONTEXT_TT_MULTI_LEVEL,
  CONTEXT_TT_PASS_THROUGH,
  decodeContext,
  encodeContext,
  RootTable,
  read128,
} from './root-context';
import { ScalableTranslator } from './scalable-translate';

// Module-local copies of imported bindings used on the hot path (see vtd/unit.ts).
const CONTEXT_TT_PASS_THROUGH_ = CONTEXT_TT_PASS_THROUGH;

// Module-local copies of imported constants: a hot loop then reads a local, not the
// CommonJS export getter a transpiler may generate for an imported binding.
const HW_CONTEXT_CACHE_HIT_ = HW_CONTEXT_CACHE_HIT;
const HW_CONTEXT_CACHE_MISS_ = HW_CONTEXT_CACHE_MISS;
const HW_IOTLB_HIT_ = HW_IOTLB_HIT;
const HW_IOTLB_MISS_ = HW_IOTLB_MISS;
const HW_PSC_HIT_ = HW_PSC_HIT;
const HW_TRANSLATIONS_ = HW_TRANSLATIONS;
const HW_WALK_MEM_READS_ = HW_WALK_MEM_READS;
const PERM_READ_ = PERM_READ;
const PERM_WRITE_ = PERM_WRITE;
const WALK_OK_ = WALK_OK;

/** Walk outcomes with their own fault reason; not-present and permission map to 0x05/0x06 by access. */
const WALK_FAULT: Readonly<Record<number, number>> = {
  [WALK_RESERVED]: VtdFault.PAGING_ENTRY_RESERVED,
  [WALK_BAD_POINTER]: VtdFault.PAGING_ENTRY_INVALID,
  [WALK_BEYOND_WIDTH]: VtdFault.BEYOND_MGAW,
};

/** Context-cache states per source id. */
const CC_EMPTY = 0;
const CC_VALID = 1;

export interface VtdUnitOptions {
  mem: PhysMemory;
  params?: Partial<VtdParams>;
  segment?: number;
  /** Register base address (the DRHD's), for log lines. */
  registerBase?: number;
  /** Index of the unit on the host: its name is dmar<index>. */
  index?: number;
  counters?: HwCounters;
  /**
   * Linux intel_iommu=sp_off (intel_iommu_superpage = 0): the hardware still reports its
   * second-level large pages in CAP.SLLPS, but the driver gives domains 4 KiB pages only —
   * domain_update_iommu_superpage() returns 0, so domain_super_pgsize_bitmap() adds nothing to
   * the domain's pgsize_bitmap (drivers/iommu/intel/iommu.c).
   */
  superpagesOff?: boolean;
}

export class VtdUnit {
  readonly params: VtdParams;
  readonly mem: PhysMemory;
  readonly segment: number;
  readonly name: string;
  readonly registerBase: number;
  readonly counters: HwCounters;
  /** The format of the unit's own width (CAP.MGAW): what Linux's domains use (iommu->agaw). */
  readonly format: PageTableFormat;
  /**
   * The second-stage format for each context AW the unit supports (CAP.SAGAW), by AW (1 = 39-bit
   * 3-level, 2 = 48-bit, 3 = 57-bit): a context entry's AW selects how many levels are walked.
   */
  private readonly formatsByAw: (PageTableFormat | undefined)[] = [];
  /** The same formats as vtdWalk() takes them (the hot path's specialised walk). */
  private readonly vtdFormatsByAw: (VtdSecondStageFormat | null)[] = [null, null, null, null];
  /** 2^width of each AW: a request at or above it faults with "Access beyond MGAW" (0x04). */
  private readonly limitByAw = new Float64Array(4);
  private readonly sagaw: number;
  readonly pageSizesLg2: readonly number[];
  readonly iotlb: Iotlb;
  /** Second-stage paging-structure caches (non-leaf entries), level 2 up to the root's. */
  readonly psc: PagingStructureCache;
  private readonly path: WalkPath = newWalkPath();
  private readonly pscEnabled: boolean;
  readonly root: RootTable;
  readonly iq: InvalidationQueue;
  readonly faults: FaultRecorder;
  readonly domains = new Map<number, VtdDomain>();
  /**
   * Device-TLBs (ATS address translation caches) of devices attached with ATS, by source id:
   * translations the device keeps itself, dropped only by device-TLB invalidations (type 3).
   */
  readonly atc = new Map<number, Iotlb>();
  /** Domain id each source id is attached to (0 = pass-through, blocked or never attached). */
  private readonly attached = new Map<number, number>();
  private readonly dids: DomainIds;
  private readonly statusPa: number;
  // Context cache, indexed by source id (typed arrays: no allocation on the hot path). Allocated
  // on the first fill (~1 MiB per unit), so units that never translate — most units of a fleet
  // model — do not carry it; an empty array reads as "not cached".
  private ccState = new Uint8Array(0);
  private ccDid = new Int32Array(0);
  private ccTt = new Uint8Array(0);
  private ccFpd = new Uint8Array(0);
  private ccRoot = new Float64Array(0);
  private ccAw = new Uint8Array(0);
  private readonly walkOut = newWalkOut();
  private readonly cnt: Float64Array;

  constructor(opts: VtdUnitOptions) {
    this.params = { ...DEFAULT_VTD_PARAMS, ...opts.params };
    this.mem = opts.mem;
    this.segment = opts.segment ?? 0;
    this.name = `dmar${opts.index ?? 0}`;
    this.dids = new DomainIds(domainIdCount(this.params), this.name);
    this.registerBase = opts.registerBase ?? 0xfed90000;
    this.counters = opts.counters ?? new HwCounters();
    const superpages = opts.superpagesOff ? { '2M': false, '1G': false } : this.params.superpages;
    for (const widthBits of supportedWidths(this.params)) {
      const aw = agaw(widthBits);
      this.formatsByAw[aw] = vtdSecondStageFormat({ widthBits, superpages, snoopControl: this.params.snoopControl });
      this.limitByAw[aw] = 2 ** widthBits;
      this.vtdFormatsByAw[aw] = asVtdSecondStage(this.formatsByAw[aw]!);
    }
    this.sagaw = sagaw(this.params);
    this.format = this.formatsByAw[agaw(this.params.addressWidth)]!;
    this.pageSizesLg2 = pageSizesLg2(this.format);
    this.iotlb = new Iotlb(this.params.iotlb);
    this.psc = new PagingStructureCache(this.format.levels, Math.max(1, this.params.pscEntriesPerLevel));
    this.pscEnabled = this.params.pscEntriesPerLevel > 0;
    this.root = new RootTable(this.mem);
    this.iq = new InvalidationQueue(this.mem, (d) => this.execute(d));
    this.faults = new FaultRecorder(this.params.faultRecords);
    this.statusPa = this.mem.allocTablePage();
    this.cnt = this.counters.c;
  }

  get cap(): bigint {
    return capReg(this.params);
  }
  get ecap(): bigint {
    return ecapReg(this.params);
  }

  /** Linux's "DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap ... ecap ..." boot line. */
  bootLine(): string {
    return `DMAR: ${this.name}: reg_base_addr ${this.registerBase.toString(16)} ver 1:0 cap ${this.cap.toString(16)} ecap ${this.ecap.toString(16)}`;
  }

  /** A new paging domain with the lowest free domain id (DID 0 is never used, as in Linux). */
  createDomain(kind: 'dma' | 'unmanaged' = 'dma'): VtdDomain {
    const d = new VtdDomain(this, this.dids.alloc(), kind);
    this.domains.set(d.domainId, d);
    return d;
  }

  /**
   * Frees a domain no device is attached to: its IOTLB entries are invalidated (domain-selective),
   * its page-table pages freed and its DID returned (intel_iommu_domain_free()).
   */
  freeDomain(d: VtdDomain): void {
    for (const did of this.attached.values())
      if (did === d.domainId)
        throw new CoreError('INVALID_STATE', `${this.name}: domain ${did} still has devices attached`);
    if (this.domains.get(d.domainId) !== d)
      throw new CoreError('INVALID_STATE', `${this.name}: domain ${d.domainId} is not live`);
    this.submitSync([iotlbDesc(QI_GRAN_DOMAIN, d.domainId)]);
    d.pt.destroy();
    this.domains.delete(d.domainId);
    this.dids.free(d.domainId);
  }

  /**
   * Programs the context entry of `sourceId`: a paging domain (TT 0, or 1 with ATS), hardware
   * pass-through (TT 2, needs ECAP.PT), or blocked (entry cleared). Then invalidates the context
   * cache for the device and the IOTLB for the domain, as domain_context_mapping_one() does.
   */
  attachDevice(sourceId: number, target: VtdDomain | 'passthrough' | 'blocked', opts: { ats?: boolean } = {}): void {
    const old = this.attached.get(sourceId) ?? 0;
    if (target === 'blocked') {
      this.root.clearContext(sourceId);
    } else if (target === 'passthrough') {
      if (!this.params.passThrough)
        throw new CoreError('UNSUPPORTED', `${this.name}: no hardware pass-through (ECAP.PT=0)`);
      this.root.setContext(
        sourceId,
        encodeContext({ tt: CONTEXT_TT_PASS_THROUGH_, slptptr: 0, aw: agaw(this.params.addressWidth), did: 0 }),
      );
    } else {
      const ats = !!opts.ats && this.params.deviceTlb;
      if (ats) {
        target.atsDevices.add(sourceId);
        this.atc.set(sourceId, new Iotlb({ entries: 64, ways: 4, replacement: 'lru' }));
      } else this.atc.delete(sourceId);
      const tt = ats ? CONTEXT_TT_DEV_IOTLB : CONTEXT_TT_MULTI_LEVEL;
      this.root.setContext(
        sourceId,
        encodeContext({ tt, slptptr: target.pt.rootPa, aw: agaw(this.params.addressWidth), did: target.domainId }),
      );
    }
    this.attached.set(sourceId, typeof target === 'object' ? target.domainId : 0);
    const descs = [contextCacheDesc(3, old, sourceId)];
    if (old > 0) descs.push(iotlbDesc(QI_GRAN_DOMAIN, old));
    this.submitSync(descs);
  }

  /** Software side of queued invalidation: Linux qi_submit_sync(). */
  submitSync(descs: readonly bigint[]): void {
    const n = this.iq.submitSync(descs, this.statusPa);
    this.counters.c[HW_INV_DESCRIPTORS]! += n;
    this.counters.c[HW_INV_WAITS]!++;
  }

  /** Hardware side: one descriptor applied to the caches; false = invalid descriptor (IQE). */
  private execute(d: bigint): boolean {
    switch (descType(d)) {
      case QI_CC_TYPE: {
        const g = Number(getField(d, DESC_CONTEXT_CACHE.G!));
        if (g === QI_GRAN_GLOBAL) this.ccState.fill(CC_EMPTY);
        else if (g === QI_GRAN_DOMAIN) {
          const did = Number(getField(d, DESC_CONTEXT_CACHE.DID!));
          for (let s = 0; s < this.ccDid.length; s++) if (this.ccDid[s] === did) this.ccState[s] = CC_EMPTY;
        } else if (g === QI_GRAN_PAGE) this.ccState[Number(getField(d, DESC_CONTEXT_CACHE.SID!))] = CC_EMPTY;
        else return false;
        return true;
      }
      case QI_IOTLB_TYPE: {
        const g = Number(getField(d, DESC_IOTLB.G!));
        const did = Number(getField(d, DESC_IOTLB.DID!));
        let n = 0;
        // IH=0 (all Linux sends for unmaps): paging-structure caches of the domain go too.
        if (getField(d, DESC_IOTLB.IH!) === 0n) {
          if (g === QI_GRAN_GLOBAL) this.psc.invalidateAll();
          else this.psc.invalidateDomain(did);
        }
        if (g === QI_GRAN_GLOBAL) n = this.iotlb.invalidateAll();
        else if (g === QI_GRAN_DOMAIN) n = this.iotlb.invalidateDomain(did);
        else if (g === QI_GRAN_PAGE) {
          const am = Number(getField(d, DESC_IOTLB.AM!));
          if (am > this.params.mamv) return false;
          const addr = Number(getField(d, DESC_IOTLB.ADDR!) << 12n);
          n = this.iotlb.invalidateRange(did, -1, Math.floor(addr / 2 ** (12 + am)) * 2 ** (12 + am), 12 + am);
        } else return false;
        this.counters.c[HW_IOTLB_ENTRIES_INVALIDATED]! += n;
        return true;
      }
      case QI_DIOTLB_TYPE: {
        if (!this.params.deviceTlb) return false;
        const sid = Number(getField(d, DESC_DEV_IOTLB.SID!));
        const addr = getField(d, DESC_DEV_IOTLB.ADDR!) << 12n;
        // S=1: the run of ones from bit 12 up encodes the size (spec §6.5.2.5).
        let sizeLg2 = 12;
        if (getField(d, DESC_DEV_IOTLB.S!) === 1n) {
          sizeLg2 = 13;
          while (sizeLg2 < 64 && ((addr >> BigInt(sizeLg2 - 1)) & 1n) === 1n) sizeLg2++;
        }
        const atc = this.atc.get(sid);
        if (atc) {
          if (sizeLg2 >= 52) atc.invalidateAll();
          else atc.invalidateRange(0, -1, Number((addr >> BigInt(sizeLg2)) << BigInt(sizeLg2)), sizeLg2);
        }
        this.cnt[HW_DEVICE_IOTLB_INV]!++;
        return true;
      }
      case QI_IEC_TYPE:
        return this.params.interruptRemapping;
      default:
        return false;
    }
  }

  /** Reads root + context entries from memory into the context cache; returns a fault code or 0. */
  private loadContext(sid: number): number {
    const root = read128(this.mem, this.root.rootPa + (sid >>> 8) * 16);
    this.counters.c[HW_WALK_MEM_READS_]! += 2;
    if ((root & 1n) === 0n) return VtdFault.ROOT_NOT_PRESENT;
    if ((root & 0xffen) !== 0n || root >> 64n !== 0n) return VtdFault.ROOT_RESERVED;
    const ctx = decodeContext(
      read128(this.mem, Number((root >> 12n) & 0xf_ffff_ffff_ffffn) * 4096 + (sid & 0xff) * 16),
    );
    if (!ctx.present) return VtdFault.CONTEXT_NOT_PRESENT;
    if (ctx.reservedSet) return VtdFault.CONTEXT_RESERVED;
    const ptOk = ctx.tt === CONTEXT_TT_PASS_THROUGH_ && this.params.passThrough;
    // AW must be a width CAP.SAGAW reports (spec §9.3; QEMU vtd_is_level_supported()), whatever TT.
    const awOk = ctx.aw < 4 && (this.sagaw & (1 << ctx.aw)) !== 0;
    if (ctx.tt === 3 || (ctx.tt === CONTEXT_TT_PASS_THROUGH_ && !ptOk) || !awOk) return VtdFault.CONTEXT_INVALID;
    if (this.ccState.length === 0) {
      this.ccState = new Uint8Array(65536);
      this.ccDid = new Int32Array(65536);
      this.ccTt = new Uint8Array(65536);
      this.ccFpd = new Uint8Array(65536);
      this.ccRoot = new Float64Array(65536);
      this.ccAw = new Uint8Array(65536);
    }
    this.ccState[sid] = CC_VALID;
    this.ccDid[sid] = ctx.did;
    this.ccTt[sid] = ctx.tt;
    this.ccFpd[sid] = ctx.fpd ? 1 : 0;
    this.ccRoot[sid] = ctx.slptptr;
    this.ccAw[sid] = ctx.aw;
    return 0;
  }

  /** Scalable mode (RTADDR.TTM=01b), when enabled: PASID-granular translation. */
  private sm: ScalableTranslator | null = null;

  /** Switches the unit to scalable mode (needs ECAP.SMTS; Linux: intel_iommu=sm_on). */
  enableScalableMode(): ScalableTranslator {
    this.sm ??= new ScalableTranslator(this);
    return this.sm;
  }

  /** Translates one DMA request (hot path: no allocation unless it faults). */
  translate(req: DmaRequest, out: TranslationOut): void {
    if (this.sm !== null) {
      this.sm.translate(req, out);
      return;
    }
    const c = this.cnt;
    const sid = req.sourceId;
    c[HW_TRANSLATIONS_]!++;
    out.memReads = 0;
    out.iotlbHit = false;
    out.fault = null;
    if (this.ccState[sid] === CC_VALID) c[HW_CONTEXT_CACHE_HIT_]!++;
    else {
      c[HW_CONTEXT_CACHE_MISS_]!++;
      out.memReads += 2;
      const code = this.loadContext(sid);
      if (code) {
        this.fault(req, out, code, 0, false);
        return;
      }
    }
    if (this.ccTt[sid] === CONTEXT_TT_PASS_THROUGH_) {
      out.ok = true;
      out.pa = req.address;
      out.sizeLg2 = 12;
      return;
    }
    const did = this.ccDid[sid]!;
    const need = req.write ? PERM_WRITE_ : PERM_READ_;
    const atc = this.atc.size > 0 ? this.atc.get(sid) : undefined;
    if (atc !== undefined) {
      // ATS: the device answers from its own translation cache without asking the IOMMU.
      const pa = atc.lookup(0, 0, req.address);
      if (pa >= 0 && (atc.lastPerm & need) !== 0) {
        out.ok = true;
        out.iotlbHit = true;
        out.pa = pa;
        out.sizeLg2 = atc.lastSizeLg2;
        return;
      }
    }
    const aw = this.ccAw[sid]!;
    if (req.address >= this.limitByAw[aw]!) {
      this.fault(req, out, VtdFault.BEYOND_MGAW, did, this.ccFpd[sid] === 1);
      return;
    }
    const hit = this.iotlb.lookup(did, 0, req.address);
    if (hit >= 0) {
      c[HW_IOTLB_HIT_]!++;
      if ((this.iotlb.lastPerm & need) === 0) {
        this.fault(req, out, req.write ? VtdFault.WRITE : VtdFault.READ, did, this.ccFpd[sid] === 1);
        return;
      }
      out.ok = true;
      out.iotlbHit = true;
      out.pa = hit;
      out.sizeLg2 = this.iotlb.lastSizeLg2;
      return;
    }
    c[HW_IOTLB_MISS_]!++;
    const w = this.walkOut;
    this.cachedWalk(aw, did, this.ccRoot[sid]!, req.address, need, w);
    c[HW_WALK_MEM_READS_]! += w.levelsRead;
    out.memReads += w.levelsRead;
    if (w.status !== WALK_OK_) {
      const code = WALK_FAULT[w.status] ?? (req.write ? VtdFault.WRITE : VtdFault.READ);
      this.fault(req, out, code, did, this.ccFpd[sid] === 1);
      return;
    }
    // insert() keeps the page base of w.pa (the translation of the page holding the address).
    this.iotlb.insert(did, 0, req.address, w.pa, w.sizeLg2, w.perm);
    atc?.insert(0, 0, req.address, w.pa, w.sizeLg2, w.perm);
    out.ok = true;
    out.pa = w.pa;
    out.sizeLg2 = w.sizeLg2;
  }

  /** A second-stage walk of `fmt` (the context's AW) through the paging-structure caches (when on). */
  private cachedWalk(aw: number, did: number, rootPa: number, iova: number, need: number, w: WalkOut): void {
    const fmt = this.formatsByAw[aw]!;
    if (!this.pscEnabled) {
      const vf = this.vtdFormatsByAw[aw]!;
      // The specialised walk; the generic one when a pointer leaves the table pool (it reports why).
      if (vf === null || !vtdWalk(this.mem, vf, rootPa, iova, need, w)) walk(this.mem, fmt, rootPa, iova, need, w);
    } else if (cachedWalk(this.mem, fmt, this.psc, did, rootPa, iova, need, w, this.path)) this.cnt[HW_PSC_HIT_]!++;
  }

  private fault(req: DmaRequest, out: TranslationOut, reason: number, did: number, fpd: boolean): void {
    this.counters.c[HW_FAULTS]!++;
    const page = Math.floor(req.address / 4096) * 4096;
    const f: TranslationFault = {
      unit: 'vtd',
      reason,
      reasonText: faultReasonText(reason),
      sourceId: req.sourceId,
      segment: req.segment,
      address: page,
      write: req.write,
      pasid: req.pasid,
      domainId: did,
      flags: 0,
      logLine: dmarFaultLine({ sourceId: req.sourceId, address: page, reason, write: req.write, pasid: req.pasid }),
    };
    if (!fpd) this.faults.record({ fi: page, sid: req.sourceId, fr: reason, t: req.write ? 0 : 1, pasid: req.pasid });
    out.ok = false;
    out.fault = f;
  }
}
