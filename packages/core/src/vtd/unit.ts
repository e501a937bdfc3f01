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
//
// The unit is split (issue #20): this file holds its state, domain/device programming and the
// translation hot path; context-cache.ts the context lookups, unit-invalidation.ts the hardware
// side of queued invalidation, fault-report.ts fault values and recording.

import { Iotlb } from '../caches/iotlb';
import { PagingStructureCache } from '../caches/paging-structure-cache';
import { CoreError } from '../errors';
import { DomainIds } from '../iommu/domain-ids';
import type { DmaRequest, TranslationOut } from '../iommu/translation';
import type { PhysMemory } from '../memory/phys-memory';
import type { PageTableFormat } from '../page-table/format';
import { pageSizesLg2 } from '../page-table/level-math';
import { asVtdSecondStage, type VtdSecondStageFormat, vtdSecondStageFormat } from '../page-table/vtd-second-stage';
import { HW_INV_DESCRIPTORS, HW_INV_WAITS, HwCounters } from '../stats/hw-counters';
import { VtdContextCache } from './context-cache';
import { VtdDomain } from './domain';
import { FaultRecorder } from './faults';
import { contextCacheDesc, InvalidationQueue, iotlbDesc, QI_GRAN_DOMAIN } from './invalidation';
import { LegacyTranslator } from './legacy-translate';
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
  encodeContext,
  RootTable,
} from './root-context';
import { ScalableTranslator } from './scalable-translate';
import { executeVtdDescriptor } from './unit-invalidation';

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
  readonly pageSizesLg2: readonly number[];
  readonly iotlb: Iotlb;
  /** Second-stage paging-structure caches (non-leaf entries), level 2 up to the root's. */
  readonly psc: PagingStructureCache;
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
  /** Legacy-mode translation (context cache, IOTLB, second-stage walk). */
  private readonly legacy: LegacyTranslator;

  constructor(opts: VtdUnitOptions) {
    this.params = { ...DEFAULT_VTD_PARAMS, ...opts.params };
    this.mem = opts.mem;
    this.segment = opts.segment ?? 0;
    this.name = `dmar${opts.index ?? 0}`;
    this.dids = new DomainIds(domainIdCount(this.params), this.name);
    this.registerBase = opts.registerBase ?? 0xfed90000;
    this.counters = opts.counters ?? new HwCounters();
    const superpages = opts.superpagesOff ? { '2M': false, '1G': false } : this.params.superpages;
    // The second-stage format for each context AW the unit supports (CAP.SAGAW), by AW (1 = 39-bit
    // 3-level, 2 = 48-bit, 3 = 57-bit): a context entry's AW selects how many levels are walked;
    // a request at or above 2^width faults with "Access beyond MGAW" (0x04).
    const formatsByAw: (PageTableFormat | undefined)[] = [];
    const vtdFormatsByAw: (VtdSecondStageFormat | null)[] = [null, null, null, null];
    const limitByAw = new Float64Array(4);
    for (const widthBits of supportedWidths(this.params)) {
      const aw = agaw(widthBits);
      formatsByAw[aw] = vtdSecondStageFormat({ widthBits, superpages, snoopControl: this.params.snoopControl });
      limitByAw[aw] = 2 ** widthBits;
      vtdFormatsByAw[aw] = asVtdSecondStage(formatsByAw[aw]!);
    }
    this.format = formatsByAw[agaw(this.params.addressWidth)]!;
    this.pageSizesLg2 = pageSizesLg2(this.format);
    this.iotlb = new Iotlb(this.params.iotlb);
    this.psc = new PagingStructureCache(this.format.levels, Math.max(1, this.params.pscEntriesPerLevel));
    this.root = new RootTable(this.mem);
    const cnt = this.counters.c;
    const cc = new VtdContextCache(this.mem, this.root, sagaw(this.params), this.params.passThrough, cnt);
    const caches = { params: this.params, contextCache: cc, iotlb: this.iotlb, psc: this.psc, atc: this.atc, cnt };
    this.iq = new InvalidationQueue(this.mem, (d) => executeVtdDescriptor(caches, d));
    this.faults = new FaultRecorder(this.params.faultRecords);
    this.statusPa = this.mem.allocTablePage();
    this.legacy = new LegacyTranslator({
      mem: this.mem,
      cnt,
      cc,
      iotlb: this.iotlb,
      psc: this.psc,
      pscEnabled: this.params.pscEntriesPerLevel > 0,
      atc: this.atc,
      faults: this.faults,
      formatsByAw,
      vtdFormatsByAw,
      limitByAw,
    });
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
        encodeContext({ tt: CONTEXT_TT_PASS_THROUGH, slptptr: 0, aw: agaw(this.params.addressWidth), did: 0 }),
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

  /** Scalable mode (RTADDR.TTM=01b), when enabled: PASID-granular translation. */
  private sm: ScalableTranslator | null = null;

  /** Switches the unit to scalable mode (needs ECAP.SMTS; Linux: intel_iommu=sm_on). */
  enableScalableMode(): ScalableTranslator {
    this.sm ??= new ScalableTranslator(this);
    return this.sm;
  }

  /** Translates one DMA request (hot path: no allocation unless it faults). */
  translate(req: DmaRequest, out: TranslationOut): void {
    if (this.sm !== null) this.sm.translate(req, out);
    else this.legacy.translate(req, out);
  }
}
