// SPDX-License-Identifier: Apache-2.0
// One Arm SMMUv3 (IHI 0070 G.b) as Linux's arm-smmu-v3 driver runs it: probed from its ID
// registers (arm_smmu_device_hw_probe()), its stream table, command and event queues set up and
// its caches flushed at reset (arm_smmu_device_reset(): CFGI_ALL, TLBI_EL2_ALL with HYP,
// TLBI_NSNH_ALL, each with a CMD_SYNC), masters attached as arm_smmu_attach_dev() does: a CD
// (arm_smmu_make_s1_cd()) and an STE pointing at the master's CD table for stage-1 domains, an S2
// STE for stage-2 domains, a bypass STE for identity (pass-through) and an abort STE for blocked,
// each write followed by CMD_CFGI_* and CMD_SYNC. Requests are translated by translate.ts; the
// SMMU executes commands through executor.ts. Requests carry a StreamID as `sourceId` (for PCI,
// the IORT ID mapping of the requester ID; the host maps RIDs to StreamIDs).
//
// Model departures: one StreamID per master; an STE rewrite whose new value differs in more than
// one 64-bit word is three CFGI_STE + CMD_SYNC steps (Linux's break-before-make in
// arm_smmu_write_entry(); Linux decides by the bits the SMMU uses, not by any difference); the
// SMMU is enabled from construction (GBPA and SMMUEN = 0 are not modelled); no stalls, no SVA.

import { Iotlb } from '../caches/iotlb';
import { CoreError } from '../errors';
import { DomainIds } from '../iommu/domain-ids';
import type { DmaRequest, TranslationOut } from '../iommu/translation';
import type { PhysMemory } from '../memory/phys-memory';
import { armLevelOf, armVmsav8Format } from '../page-table/arm-vmsav8';
import type { PageTableFormat } from '../page-table/format';
import { HwCounters } from '../stats/hw-counters';
import { CmdqBatch, CommandQueue } from './command-queue';
import { cfgiAll, cfgiCd, cfgiSte, OP, PRI_RESP, prefetchConfig, priResp, tlbi } from './commands';
import { CdTable, s1Cd } from './context-descriptor';
import { SmmuDomain } from './domain';
import { EventQueue } from './event-queue';
import { makeCommandHandler, type PriResponse } from './executor';
import { atcInvDomain } from './linux-invalidate';
import {
  ARM_SMMU_FEAT,
  DEFAULT_LINUX_SMMU_ENV,
  DEFAULT_SMMUV3_PARAMS,
  type GranuleName,
  idrRegisters,
  type LinuxSmmuEnv,
  type LinuxSmmuProbe,
  linuxBootLines,
  linuxProbe,
  OAS_BITS,
  type SmmuV3Params,
} from './registers';
import { abortSte, bypassSte, cdTableSte, StreamTable, s2DomainSte, s2sl0Of, tgOf } from './stream-table';
import { TlbContexts } from './tlb-contexts';
import { SmmuTranslator } from './translate';

export type SmmuAttachTarget = SmmuDomain | 'passthrough' | 'blocked';

export interface SmmuV3UnitOptions {
  mem: PhysMemory;
  params?: Partial<SmmuV3Params>;
  linux?: Partial<LinuxSmmuEnv>;
  /** The platform device's name (ACPI probe: "arm-smmu-v3.<n>.auto"). */
  name?: string;
  segment?: number;
  registerBase?: number;
  counters?: HwCounters;
  /** Linux's PAGE_SIZE: the granule of its DMA domains' io-pgtables (arm_lpae_restrict_pgsizes()). */
  pageSize?: GranuleName;
  /** The kernel's VA_BITS (stage-1 domains translate min(48 or 52, VA_BITS) bits). */
  vaBits?: number;
}

export interface SmmuAttachOptions {
  /** Enable ATS for the master (PCIe ATS capability and IORT root-complex ATS support). */
  ats?: boolean;
  /** The master's SubstreamID bits (PCIe PASID width), sizing its CD table. */
  ssidBits?: number;
  /** dev_name() of the master, for event lines (default: the StreamID as a PCI address). */
  name?: string;
}

const GRANULE_LG2: Readonly<Record<GranuleName, number>> = { '4K': 12, '16K': 14, '64K': 16 };

export class SmmuV3Unit {
  readonly params: SmmuV3Params;
  readonly probe: LinuxSmmuProbe;
  readonly mem: PhysMemory;
  readonly name: string;
  readonly segment: number;
  readonly registerBase: number;
  readonly counters: HwCounters;
  readonly streams: StreamTable;
  readonly cmdq: CommandQueue;
  readonly evtq: EventQueue;
  readonly contexts: TlbContexts;
  readonly translator: SmmuTranslator;
  readonly atc = new Map<number, Iotlb>();
  readonly priResponses: PriResponse[] = [];
  readonly domains = new Map<string, SmmuDomain>();
  /** Format of stage-1 DMA domains (the kernel's page size, 48-bit input). */
  readonly s1Format: PageTableFormat;
  readonly s2Format: PageTableFormat;
  readonly rangeInvalidation: boolean;
  readonly e2h: boolean;
  readonly ats: boolean;
  private readonly asids: DomainIds;
  private readonly vmids: DomainIds;
  private readonly attached = new Map<number, SmmuAttachTarget>();
  private readonly cdTables = new Map<number, CdTable>();
  private readonly clients = new Map<number, string>();

  constructor(opts: SmmuV3UnitOptions) {
    this.params = { ...DEFAULT_SMMUV3_PARAMS, ...opts.params };
    const p = this.params;
    this.mem = opts.mem;
    this.name = opts.name ?? 'arm-smmu-v3.0.auto';
    this.segment = opts.segment ?? 0;
    this.registerBase = opts.registerBase ?? 0x1_0000_0000;
    this.counters = opts.counters ?? new HwCounters();
    this.probe = linuxProbe(idrRegisters(p), { ...DEFAULT_LINUX_SMMU_ENV, ...opts.linux });
    const f = this.probe.features;
    if (!(f & (ARM_SMMU_FEAT.TRANS_S1 | ARM_SMMU_FEAT.TRANS_S2)))
      throw new CoreError('UNSUPPORTED', `${this.name}: no translation support!`);
    this.rangeInvalidation = (f & ARM_SMMU_FEAT.RANGE_INV) !== 0;
    this.e2h = (f & ARM_SMMU_FEAT.E2H) !== 0;
    this.ats = (f & ARM_SMMU_FEAT.ATS) !== 0;
    const g = GRANULE_LG2[opts.pageSize ?? '4K'];
    if (g === undefined || !p.granules.includes(opts.pageSize ?? '4K'))
      throw new CoreError('UNSUPPORTED', `${this.name}: no ${opts.pageSize} granule (IDR5)`, {
        pageSize: String(opts.pageSize),
      });
    const granule = opts.pageSize ?? '4K';
    const vaBits = Math.min((f & ARM_SMMU_FEAT.VAX) !== 0 ? 52 : 48, opts.vaBits ?? 48, g === 16 ? 52 : 48);
    // arm_smmu_domain_finalise(): S1 ias = VA bits, oas = smmu->ias; S2 ias = smmu->ias, oas = smmu->oas.
    const oas = this.probe.oas;
    const s1Out = g === 16 || oas <= 48 ? oas : 48;
    this.s1Format = armVmsav8Format({ stage: 1, granule, inputBits: vaBits, outputBits: s1Out });
    this.s2Format = armVmsav8Format({
      stage: 2,
      granule,
      inputBits: Math.min(this.probe.ias, g === 16 ? 52 : 48),
      outputBits: s1Out,
    });
    this.asids = new DomainIds(2 ** this.probe.asidBits, `${this.name} ASIDs`);
    this.vmids = new DomainIds(2 ** this.probe.vmidBits, `${this.name} VMIDs`);
    // arm_smmu_init_structures(): Linux uses a linear table when the SID space fits one level-2 table.
    this.streams = new StreamTable(
      this.mem,
      this.probe.sidBits,
      (f & ARM_SMMU_FEAT.TWO_LVL_STRTAB) !== 0 && this.probe.sidBits > 8,
    );
    this.contexts = new TlbContexts(p.tlb, p.walkCacheEntriesPerLevel, p.walkCacheWays);
    this.evtq = new EventQueue(this.mem, this.probe.evtqLog2);
    this.translator = new SmmuTranslator({
      mem: this.mem,
      streams: this.streams,
      contexts: this.contexts,
      stage1: p.stage1,
      stage2: p.stage2,
      granules: p.granules.map((n) => GRANULE_LG2[n]),
      oas,
      vaBits: p.vax52 ? 52 : 48,
      ssidBits: this.probe.ssidBits,
      asidBits: this.probe.asidBits,
      vmidBits: this.probe.vmidBits,
      counters: this.counters,
      events: this.evtq,
      name: this.name,
      atc: this.atc,
      clientOf: (sid) => this.clients.get(sid),
    });
    this.contexts.onRollover = () => this.translator.invalidateAll();
    const handler = makeCommandHandler({
      mem: this.mem,
      translator: this.translator,
      contexts: this.contexts,
      atc: this.atc,
      counters: this.counters,
      stage2: p.stage2,
      hyp: p.hyp,
      rangeInvalidation: p.rangeInvalidation,
      priResponses: this.priResponses,
    });
    this.cmdq = new CommandQueue(this.mem, this.probe.cmdqLog2, this.name, handler, this.probe.msiPoll, this.counters);
    this.reset();
  }

  /** arm_smmu_device_reset(): invalidate cached configuration and every TLB entry, before enabling. */
  private reset(): void {
    this.cmdq.issueCmdlist([cfgiAll()], true);
    if (this.params.hyp) this.cmdq.issueCmdlist([tlbi(OP.TLBI_EL2_ALL)], true);
    this.cmdq.issueCmdlist([tlbi(OP.TLBI_NSNH_ALL)], true);
  }

  /** The lines Linux prints when it probes this SMMU. */
  bootLines(): string[] {
    return linuxBootLines(this.name, this.probe);
  }

  /** ID registers (for tools and tests). */
  get idr(): ReturnType<typeof idrRegisters> {
    return idrRegisters(this.params);
  }

  /**
   * A paging domain: stage 1 when the SMMU has it (Linux's choice), else stage 2; or as asked.
   * ASIDs and VMIDs come lowest-free-first from 1 (arm_smmu_asid_xa, vmid_map).
   */
  createDomain(kind: 'dma' | 'unmanaged' = 'dma', opts: { stage?: 1 | 2 } = {}): SmmuDomain {
    const stage = opts.stage ?? (this.params.stage1 ? 1 : 2);
    if ((stage === 1 && !this.params.stage1) || (stage === 2 && !this.params.stage2))
      throw new CoreError('UNSUPPORTED', `${this.name}: no stage-${stage} translation`, { stage });
    const id = (stage === 1 ? this.asids : this.vmids).alloc();
    const d = new SmmuDomain(this, stage === 1 ? this.s1Format : this.s2Format, stage, id, kind);
    this.domains.set(`${stage}:${id}`, d);
    return d;
  }

  /** arm_smmu_domain_free_paging(): io-pgtable's final tlb_flush_all, the tables, then the ASID/VMID. */
  freeDomain(d: SmmuDomain): void {
    if (d.devices.size > 0)
      throw new CoreError('INVALID_STATE', `${this.name}: domain ${d.domainId} still has devices attached`);
    if (this.domains.get(`${d.stage}:${d.domainId}`) !== d)
      throw new CoreError('INVALID_STATE', `${this.name}: domain ${d.domainId} is not live`);
    d.flushIotlbAll();
    d.pt.destroy();
    this.domains.delete(`${d.stage}:${d.domainId}`);
    (d.stage === 1 ? this.asids : this.vmids).free(d.domainId);
  }

  /** arm_smmu_attach_dev() / the identity and blocked domains' attach: the master's STE (and CD). */
  attachDevice(sid: number, target: SmmuAttachTarget, opts: SmmuAttachOptions = {}): void {
    if (typeof target !== 'string' && target.unit !== this)
      throw new CoreError('INVALID_ARGUMENT', `${this.name}: cannot attach a domain of another IOMMU`);
    if (!Number.isInteger(sid) || sid < 0 || sid >= 2 ** this.probe.sidBits)
      throw new CoreError('OUT_OF_RANGE', `${this.name}: StreamID 0x${sid.toString(16)} is beyond IDR1.SIDSIZE`, {
        sid,
      });
    this.streams.ensure(sid); // arm_smmu_insert_master() -> arm_smmu_init_sid_strtab()
    if (opts.name !== undefined) this.clients.set(sid, opts.name);
    else if (!this.clients.has(sid)) this.clients.set(sid, pciName(this.segment, sid));
    const old = this.attached.get(sid);
    if (typeof old === 'object') {
      old.devices.delete(sid);
      if (old.atsDevices.delete(sid)) this.disableAts(sid);
    }
    const ats = typeof target === 'object' && opts.ats === true && this.ats;
    let ste: bigint;
    if (target === 'passthrough') ste = bypassSte();
    else if (target === 'blocked') ste = abortSte();
    else if (target.stage === 1) ste = this.s1Ste(sid, target, ats, opts.ssidBits ?? 0);
    else ste = this.s2Ste(target, ats);
    this.writeSte(sid, ste);
    if (typeof target === 'object') {
      target.devices.add(sid);
      if (ats) this.enableAts(sid, target);
    }
    this.attached.set(sid, target);
  }

  /** arm_smmu_set_pasid(): CD `ssid` of the master's table points at a stage-1 domain. */
  setPasid(sid: number, ssid: number, domain: SmmuDomain): void {
    const table = this.cdTables.get(sid);
    if (table === undefined || ssid <= 0 || ssid >= 2 ** table.s1cdmax || domain.stage !== 1)
      throw new CoreError(
        'INVALID_ARGUMENT',
        `${this.name}: SID 0x${sid.toString(16)} cannot take SubstreamID ${ssid}`,
        { sid, ssid },
      );
    this.writeCd(sid, ssid, table, domain);
  }

  private s1Ste(sid: number, d: SmmuDomain, ats: boolean, ssidBits: number): bigint {
    let table = this.cdTables.get(sid);
    const bits = Math.min(ssidBits, this.probe.ssidBits);
    if (table === undefined || table.s1cdmax !== bits) {
      table = new CdTable(this.mem, bits, (this.probe.features & ARM_SMMU_FEAT.TWO_LVL_CDTAB) !== 0);
      this.cdTables.set(sid, table);
    }
    this.writeCd(sid, 0, table, d);
    return cdTableSte({ cdTablePa: table.tablePa, s1cdmax: table.s1cdmax, s1fmt: table.s1fmt, el2: this.e2h, ats });
  }

  /** arm_smmu_write_cd_entry(): write the CD, then CFGI_CD for the master's StreamID and a CMD_SYNC. */
  private writeCd(sid: number, ssid: number, table: CdTable, d: SmmuDomain): void {
    const fmt = d.fmt;
    table.write(
      ssid,
      s1Cd({
        asid: d.asid,
        ttb0: d.pt.rootPa,
        t0sz: 64 - fmt.inputWidth,
        tg0: tgOf(fmt.granuleLg2),
        ips: Math.max(0, OAS_BITS.indexOf((fmt as { outputBits?: number }).outputBits ?? 48)),
      }),
    );
    const batch = new CmdqBatch(this.cmdq);
    batch.add(cfgiCd(sid, ssid));
    batch.submit();
  }

  private s2Ste(d: SmmuDomain, ats: boolean): bigint {
    const fmt = d.fmt;
    return s2DomainSte({
      vmid: d.vmid,
      ttbPa: d.pt.rootPa,
      t0sz: 64 - fmt.inputWidth,
      sl0: s2sl0Of(fmt.granuleLg2, armLevelOf(fmt.levels)),
      tg: tgOf(fmt.granuleLg2),
      ps: Math.max(0, OAS_BITS.indexOf((fmt as { outputBits?: number }).outputBits ?? 48)),
      ats,
    });
  }

  /**
   * arm_smmu_write_ste(): one CFGI_STE + CMD_SYNC when one word changes, break-before-make (three)
   * otherwise; then CMD_PREFETCH_CONFIG without a sync ("we'll want to use the new STE soon").
   */
  private writeSte(sid: number, ste: bigint): void {
    const cur = this.streams.read(sid);
    let changed = 0;
    for (let q = 0; q < 8; q++)
      if (((cur >> BigInt(64 * q)) & 0xffff_ffff_ffff_ffffn) !== ((ste >> BigInt(64 * q)) & 0xffff_ffff_ffff_ffffn))
        changed++;
    if (changed === 0) return;
    if (changed > 1) {
      this.streams.write(sid, cur & ~1n); // V = 0
      this.cmdq.issueCmdlist([cfgiSte(sid)], true);
      this.streams.write(sid, ste & ~1n); // every word but V
      this.cmdq.issueCmdlist([cfgiSte(sid)], true);
    }
    this.streams.write(sid, ste);
    this.cmdq.issueCmdlist([cfgiSte(sid)], true);
    this.cmdq.issueCmdlist([prefetchConfig(sid)], false);
  }

  /** arm_smmu_enable_ats(): the device's ATC, emptied by an ATC_INV of everything (arm_smmu_atc_inv_master()). */
  private enableAts(sid: number, d: SmmuDomain): void {
    d.atsDevices.add(sid);
    this.atc.set(sid, new Iotlb({ entries: this.params.atcEntries, ways: 4, replacement: 'lru' }));
    atcInvDomain(this, { ...invView(d), atsDevices: new Set([sid]) }, 0, 0);
  }
  private disableAts(sid: number): void {
    this.atc.delete(sid);
  }

  /** Translates one DMA request; `req.sourceId` is the StreamID, `req.pasid` the SubstreamID (-1 for none). */
  translate(req: DmaRequest, out: TranslationOut): void {
    this.translator.translate(req, out);
  }

  /** Linux's arm_smmu_evtq_thread() and GERROR handler: the lines for every pending event and command error. */
  drainLog(): string[] {
    return [...this.cmdq.takeLog(), ...this.evtq.drain(this.name, (sid) => this.clients.get(sid))];
  }

  /**
   * A PCIe Page Request from a master (IHI 0070 §8, the PRI queue). Linux's arm_smmu_handle_ppr()
   * expects none for DMA domains: it logs the request and, for the last of a group, answers
   * PRI_RESP with "deny" (no CMD_SYNC: PRI_RESP is fire and forget).
   */
  pageRequest(r: {
    sid: number;
    ssid: number;
    grpid: number;
    last: boolean;
    read: boolean;
    write: boolean;
    address: number;
  }): string[] {
    if (!this.params.pri) throw new CoreError('UNSUPPORTED', `${this.name}: no PRI (IDR0.PRI = 0)`);
    const p = `arm-smmu-v3 ${this.name}: `;
    const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
    const ssid = Math.max(r.ssid, 0);
    const lines = [
      `${p}unexpected PRI request received:`,
      `${p}\tsid 0x${hex(r.sid, 8)}.0x${hex(ssid, 5)}: [${r.grpid}${r.last ? 'L' : ''}] unprivileged ${r.read ? 'R' : ''}${r.write ? 'W' : ''} access at iova 0x${hex(r.address, 16)}`,
    ];
    if (r.last) this.cmdq.issueCmdlist([priResp(r.sid, ssid, r.ssid >= 0, r.grpid, PRI_RESP.DENY)], false);
    return lines;
  }
}

/** The invalidation view of a domain. */
function invView(d: SmmuDomain) {
  return { stage: d.stage, asid: d.asid, vmid: d.vmid, granuleLg2: d.granuleLg2, atsDevices: d.atsDevices };
}

/** A StreamID as the PCI function it names when IORT maps requester IDs one to one. */
function pciName(segment: number, sid: number): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${h(segment, 4)}:${h((sid >> 8) & 0xff, 2)}:${h((sid >> 3) & 0x1f, 2)}.${sid & 7}`;
}
