// SPDX-License-Identifier: Apache-2.0
// One AMD-Vi IOMMU (AMD IOMMU spec #48882 rev 3.x §2): a request's DeviceID selects a device
// table entry, read from simulated memory into the DTE cache; V=0 passes untranslated, Mode 0
// passes subject to IR/IW, Mode 1-6 walks the v1 I/O page table (with level skipping) unless the
// IOTLB answers, starting below the lowest page-directory-cache hit. Invalidation goes through the
// command buffer, a ring of 16-byte commands in memory (INVALIDATE_DEVTAB_ENTRY drops a cached DTE,
// INVALIDATE_IOMMU_PAGES with PDE=1 the domain's cached directory entries); faults go to the event
// log and are returned as values.
//
// The DTE's Mode selects the walk (the root level, 1..6); a valid DTE with reserved bits set (QEMU's
// masks) or Mode 7 is an ILLEGAL_DEV_TABLE_ENTRY event and the request is aborted.
//
// Not modelled: the guest (v2/GCR3) tables, PPR, the event log's in-memory ring (events are kept
// as values), EFR.HATS bounding the Mode a DTE may use. DTE and PDE cache sizes are not published:
// the DTE cache is unbounded, the PDE cache a parameter (32 entries per level, as VT-d's
// paging-structure caches here).

import { getAddress, getField, getNumber } from '../bits/bitfield';
import { DEFAULT_IOTLB_GEOMETRY, type IotlbGeometry } from '../caches/cache-types';
import { Iotlb } from '../caches/iotlb';
import { PagingStructureCache } from '../caches/paging-structure-cache';
import { CoreError } from '../errors';
import { DomainIds } from '../iommu/domain-ids';
import type { DmaRequest, TranslationOut } from '../iommu/translation';
import type { PhysMemory } from '../memory/phys-memory';
import { type AmdPageSizes, amdV1Format } from '../page-table/amd-v1';
import { cachedWalk } from '../page-table/cached-walk';
import {
  newWalkOut,
  type PageTableFormat,
  PERM_READ,
  PERM_WRITE,
  WALK_OK,
  WALK_PERMISSION,
  type WalkOut,
} from '../page-table/format';
import { addrHi, pageSizesLg2, pfnOfHalves } from '../page-table/level-math';
import { MAX_LEVELS, newWalkPath, walk32 } from '../page-table/walk';
import {
  HW_CONTEXT_CACHE_HIT,
  HW_CONTEXT_CACHE_MISS,
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
import {
  CMD_COMPL_WAIT,
  CMD_INV_DEV_ENTRY,
  CMD_INV_IOMMU_ALL,
  CMD_INV_IOMMU_PAGES,
  CMD_INV_IOTLB_PAGES,
  CMD_INV_IRT,
  CommandBuffer,
  completionWait,
  decodeInvRange,
  invDevEntry,
  opcode,
} from './commands';
import { blockedDte, type DecodedDte, DeviceTable, passthroughDte, translatingDte } from './device-table';
import { type AmdDomainHost, AmdViDomain } from './domain';
import {
  AmdDteCache,
  DC_CACHED,
  DC_DID_SHIFT,
  DC_IR,
  DC_IW,
  DC_MODE_MASK,
  DC_MODE_SHIFT,
  DC_TV,
  DC_V,
  DC_XLATE,
} from './dte-cache';
import { AMD_EVENT, AMD_EVENT_FLAG, type AmdEvent, amdEventLine, EventLog } from './event-log';
import { CMD_COMPLETION_WAIT, CMD_INV_DTE } from './fields';

export interface AmdViParams {
  /** Host page-table levels (DTE Mode) Linux uses for DMA domains; EFR.HATS bounds it. */
  mode: number;
  pageSizes: AmdPageSizes;
  /** EFR.IASup: INVALIDATE_IOMMU_ALL supported. */
  invalidateAll: boolean;
  iotlb: IotlbGeometry;
  /**
   * Page-directory-cache entries per level (non-leaf entries by DomainID and IOVA, so a walk can
   * start below the root, as VT-d's paging-structure caches). Sizes are not published; 0 disables.
   */
  pdeCacheEntriesPerLevel: number;
}

export const DEFAULT_AMDVI_PARAMS: AmdViParams = {
  mode: 4,
  pageSizes: 'all',
  invalidateAll: true,
  iotlb: DEFAULT_IOTLB_GEOMETRY,
  pdeCacheEntriesPerLevel: 32,
};

export class AmdViUnit implements AmdDomainHost {
  readonly params: AmdViParams;
  readonly mem: PhysMemory;
  readonly segment: number;
  /** The IOMMU's own PCI address, e.g. "0000:00:00.2", for log lines. */
  readonly name: string;
  readonly counters: HwCounters;
  /** The v1 format of the mode Linux gives its domains (params.mode). */
  readonly format: PageTableFormat;
  /** The v1 format for each DTE Mode 1..6: the DTE's Mode names the root level the walk starts at. */
  private readonly formatsByMode: PageTableFormat[] = [];
  /** The IOMMU's sysfs device (ivhd<index>), which names event lines other than IO_PAGE_FAULT. */
  readonly ivhd: string;
  readonly pageSizesLg2: readonly number[];
  readonly iotlb: Iotlb;
  readonly devTable: DeviceTable;
  readonly events = new EventLog();
  readonly domains = new Map<number, AmdViDomain>();
  readonly commands: CommandBuffer;
  private readonly semaphorePa: number;
  private semaphoreSeq = 0n;
  private readonly domainIds: DomainIds;
  /** Domain id each DeviceID's DTE points at (0: pass-through, blocked or never attached). */
  private readonly attached = new Map<number, number>();
  private readonly cnt: Float64Array;
  private readonly walkOut = newWalkOut();
  private readonly walkPath = newWalkPath();
  /** The page-directory cache (AMD IOMMU spec §2.2.6 "PDE cache"), flushed by INVALIDATE_IOMMU_PAGES with PDE=1. */
  readonly pdc: PagingStructureCache;
  /**
   * The IOMMU's cache of device table entries, by DeviceID: a DTE is read from memory on its
   * first use and kept until INVALIDATE_DEVTAB_ENTRY (Linux's device_flush_dte() after every DTE
   * change) or INVALIDATE_IOMMU_ALL drops it, so a stale entry stays in use until then, as on
   * hardware. Unbounded (the DTE cache's size is not published), as the VT-d context cache.
   */
  private readonly dtes: AmdDteCache;

  constructor(opts: {
    mem: PhysMemory;
    params?: Partial<AmdViParams>;
    segment?: number;
    name?: string;
    /** Index of the unit on the host: its sysfs name is ivhd<index>. */
    index?: number;
    counters?: HwCounters;
  }) {
    this.params = { ...DEFAULT_AMDVI_PARAMS, ...opts.params };
    this.mem = opts.mem;
    this.segment = opts.segment ?? 0;
    this.name = opts.name ?? '0000:00:00.2';
    this.counters = opts.counters ?? new HwCounters();
    this.domainIds = new DomainIds(0x10000, this.name);
    this.cnt = this.counters.c;
    this.ivhd = `ivhd${opts.index ?? 0}`;
    for (let mode = 1; mode <= 6; mode++)
      this.formatsByMode[mode] = amdV1Format({ mode, pageSizes: this.params.pageSizes });
    this.format = this.formatsByMode[this.params.mode]!;
    this.pageSizesLg2 = pageSizesLg2(this.format);
    this.iotlb = new Iotlb(this.params.iotlb);
    // Levels up to 6: a DTE may name any mode, whatever Linux's domains use.
    this.pdc = new PagingStructureCache(MAX_LEVELS, Math.max(1, this.params.pdeCacheEntriesPerLevel));
    this.devTable = new DeviceTable(this.mem);
    this.dtes = new AmdDteCache(this.devTable);
    this.commands = new CommandBuffer(this.mem, (cmd) => this.execute(cmd));
    this.semaphorePa = this.mem.allocTablePage();
  }

  createDomain(kind: 'dma' | 'unmanaged' = 'dma'): AmdViDomain {
    const d = new AmdViDomain(this, this.domainIds.alloc(), kind);
    this.domains.set(d.domainId, d);
    return d;
  }

  /** Frees a domain no device is attached to (amd_iommu_domain_free()): flush, free tables, free id. */
  freeDomain(d: AmdViDomain): void {
    for (const id of this.attached.values())
      if (id === d.domainId)
        throw new CoreError('INVALID_STATE', `${this.name}: domain ${id} still has devices attached`);
    if (this.domains.get(d.domainId) !== d)
      throw new CoreError('INVALID_STATE', `${this.name}: domain ${d.domainId} is not live`);
    d.flushIotlbAll();
    d.pt.destroy();
    this.domains.delete(d.domainId);
    this.domainIds.free(d.domainId);
  }

  /** Writes the DTE (set_dte_entry / clear_dte_entry) and invalidates it (INVALIDATE_DEVTAB_ENTRY + wait). */
  attachDevice(deviceId: number, target: AmdViDomain | 'passthrough' | 'blocked', opts: { ats?: boolean } = {}): void {
    if (target === 'passthrough') this.devTable.write(deviceId, passthroughDte(0));
    else if (target === 'blocked') this.devTable.write(deviceId, blockedDte());
    else {
      if (opts.ats) target.atsDevices.add(deviceId);
      this.devTable.write(deviceId, translatingDte(target.pt.rootPa, this.params.mode, target.domainId, !!opts.ats));
    }
    this.attached.set(deviceId, typeof target === 'object' ? target.domainId : 0);
    this.submit([invDevEntry(deviceId)]);
  }

  /** Linux iommu_queue_command() + iommu_completion_wait(): commands, COMPLETION_WAIT, poll. */
  submit(cmds: readonly bigint[]): void {
    const seq = ++this.semaphoreSeq;
    this.commands.run([...cmds, completionWait(this.semaphorePa, seq)]);
    if (this.mem.readU64(this.semaphorePa) !== seq)
      throw new CoreError('INVALID_STATE', 'AMD-Vi: Completion-Wait loop timed out');
    this.cnt[HW_INV_DESCRIPTORS]! += cmds.length + 1;
    this.cnt[HW_INV_WAITS]!++;
  }

  private execute(cmd: bigint): void {
    switch (opcode(cmd)) {
      case CMD_COMPL_WAIT: {
        const lo = getAddress(cmd, CMD_COMPLETION_WAIT, 'ADDR_LO');
        const hi = getAddress(cmd, CMD_COMPLETION_WAIT, 'ADDR_HI');
        if (getField(cmd, CMD_COMPLETION_WAIT, 'S') === 1n)
          this.mem.writeU64(hi + lo, getField(cmd, CMD_COMPLETION_WAIT, 'DATA'));
        return;
      }
      case CMD_INV_IOMMU_PAGES: {
        const r = decodeInvRange(cmd);
        if (r.pde) this.pdc.invalidateDomain(r.domainId);
        const n =
          r.sizeLg2 >= 53
            ? this.iotlb.invalidateDomain(r.domainId)
            : this.iotlb.invalidateRange(r.domainId, -1, r.start, r.sizeLg2);
        this.cnt[HW_IOTLB_ENTRIES_INVALIDATED]! += n;
        return;
      }
      case CMD_INV_IOMMU_ALL:
        if (this.params.invalidateAll) {
          this.cnt[HW_IOTLB_ENTRIES_INVALIDATED]! += this.iotlb.invalidateAll();
          this.pdc.invalidateAll();
          this.dtes.invalidateAll();
        } else this.events.append({ code: AMD_EVENT.ILL_CMD, deviceId: 0, domainId: 0, address: 0, flags: 0 });
        return;
      case CMD_INV_DEV_ENTRY:
        this.dtes.invalidateDevice(getNumber(cmd, CMD_INV_DTE, 'DEVID'));
        return;
      case CMD_INV_IOTLB_PAGES:
      case CMD_INV_IRT:
        return; // device-TLB and interrupt-remapping caches are not kept apart from memory in this model
      default:
        this.events.append({ code: AMD_EVENT.ILL_CMD, deviceId: 0, domainId: 0, address: 0, flags: 0 });
    }
  }

  /**
   * Translates one DMA request (hot path: no allocation unless it faults). The common case — a
   * cached DTE with V = 1, TV = 1 and Mode 1..6 — goes straight to the IOTLB; everything else
   * takes translateDte(). Kept small (the IOTLB in viaIotlb(), the walk in miss()) so that V8 can
   * inline it into its callers, as VT-d's LegacyTranslator.translate() (issue #19).
   */
  translate(req: DmaRequest, out: TranslationOut): void {
    const c = this.cnt;
    c[HW_TRANSLATIONS]!++;
    out.memReads = 0;
    out.iotlbHit = false;
    out.fault = null;
    // | 0: an unallocated cache reads undefined, i.e. not cached
    const e = this.dtes.entry[req.sourceId]! | 0;
    if ((e & DC_XLATE) === 0) {
      this.translateDte(req, out, e);
      return;
    }
    c[HW_CONTEXT_CACHE_HIT]!++;
    this.viaIotlb(req, out, e);
  }

  /**
   * translate() for a DTE that is not cached yet (read from the device table: the DTE comes first,
   * its DomainID tags the IOTLB lookup), or one that does not translate: V = 0 or TV = 0 pass
   * untranslated, Mode 0 passes subject to IR/IW.
   */
  private translateDte(req: DmaRequest, out: TranslationOut, cached: number): void {
    const c = this.cnt;
    const sid = req.sourceId;
    let e = cached;
    if ((e & DC_CACHED) !== 0) c[HW_CONTEXT_CACHE_HIT]!++;
    else {
      // One 32-byte read of the device table.
      c[HW_CONTEXT_CACHE_MISS]!++;
      out.memReads += 1;
      c[HW_WALK_MEM_READS]! += 1;
      // A valid DTE with a reserved bit set, or with the reserved Mode 7 in a translation entry,
      // is illegal: the request is aborted and logged (QEMU amdvi_validate_dte(); spec §2.2.2.1).
      if (!this.dtes.load(sid)) {
        this.illegalDte(req, out, this.dtes.last);
        return;
      }
      e = this.dtes.entry[sid]!;
    }
    if ((e & DC_XLATE) !== 0) {
      this.viaIotlb(req, out, e);
      return;
    }
    if ((e & (DC_V | DC_TV)) !== (DC_V | DC_TV)) {
      out.ok = true; // V=0 (or TV=0): untranslated access (spec §2.2.2.1)
      out.pa = req.address;
      out.sizeLg2 = 12;
      return;
    }
    // Mode 0: addresses pass untranslated (pass-through), with the DTE's IR/IW checked.
    if ((e & (req.write ? DC_IW : DC_IR)) === 0) {
      this.ioPageFault(req, out, e >>> DC_DID_SHIFT, AMD_EVENT_FLAG.PR);
      return;
    }
    out.ok = true;
    out.pa = req.address;
    out.sizeLg2 = 12;
  }

  /** The IOTLB of a translating DTE: a hit with the permission, else miss() (which walks). */
  private viaIotlb(req: DmaRequest, out: TranslationOut, e: number): void {
    const iotlb = this.iotlb;
    if (iotlb.find(e >>> DC_DID_SHIFT, 0, req) >= 0 && (iotlb.lastPerm & (req.write ? PERM_WRITE : PERM_READ)) !== 0) {
      this.cnt[HW_IOTLB_HIT]!++;
      out.ok = true;
      out.iotlbHit = true;
      out.pa = iotlb.lastPa;
      out.sizeLg2 = iotlb.lastSizeLg2;
      return;
    }
    this.miss(req, out, e);
  }

  /**
   * The IOTLB missed (or its entry lacks the permission): walk the DTE's v1 table from its Mode's
   * level, fill the IOTLB. A method of its own so that translate() stays small.
   */
  private miss(req: DmaRequest, out: TranslationOut, e: number): void {
    const c = this.cnt;
    const did = e >>> DC_DID_SHIFT;
    const need = req.write ? PERM_WRITE : PERM_READ;
    const perm = ((e & DC_IR) !== 0 ? PERM_READ : 0) | ((e & DC_IW) !== 0 ? PERM_WRITE : 0);
    c[HW_IOTLB_MISS]!++;
    const w = this.walkOut;
    const fmt = this.formatsByMode[(e >>> DC_MODE_SHIFT) & DC_MODE_MASK]!;
    // The address as its 32-bit halves: a double passed to a call not inlined is boxed (walk32()).
    const a = req.address;
    const lo = a | 0;
    const hi = addrHi(a);
    this.cachedWalk(fmt, did, this.dtes.root[req.sourceId]!, lo, hi, need, w);
    c[HW_WALK_MEM_READS]! += w.levelsRead;
    out.memReads += w.levelsRead;
    const effective = w.perm & perm;
    if (w.status !== WALK_OK && w.status !== WALK_PERMISSION) {
      this.ioPageFault(req, out, did, 0);
      return;
    }
    if ((effective & need) === 0) {
      this.ioPageFault(req, out, did, AMD_EVENT_FLAG.PR);
      return;
    }
    // The pages holding the address and w.pa, as 4 KiB page numbers (Iotlb.fill()).
    this.iotlb.fill(did, 0, pfnOfHalves(lo, hi), Math.floor(w.pa / 4096), w.sizeLg2, effective);
    out.ok = true;
    out.pa = w.pa;
    out.sizeLg2 = w.sizeLg2;
  }

  /**
   * A walk of `fmt` (the DTE's Mode) through the page-directory cache (when it is on), of the
   * address as its 32-bit halves (walk32(): no heap number per call).
   */
  private cachedWalk(
    fmt: PageTableFormat,
    did: number,
    rootPa: number,
    lo: number,
    hi: number,
    need: number,
    w: WalkOut,
  ): void {
    if (this.params.pdeCacheEntriesPerLevel <= 0) walk32(this.mem, fmt, rootPa, lo, hi, need, w);
    else if (cachedWalk(this.mem, fmt, this.pdc, did, rootPa, lo, hi, need, w, this.walkPath)) this.cnt[HW_PSC_HIT]!++;
  }

  /**
   * The line for an event, naming the device as Linux does: a device the kernel probed (every
   * device attached here has dev_data) by dev_printk — with the bus name "pci", as the unit does
   * not know drivers (EventLog.drain() can name them) — any other requester with device=.
   */
  private eventLine(e: AmdEvent): string {
    return amdEventLine(e, this.segment, {
      driver: this.attached.has(e.deviceId) ? 'pci' : undefined,
      iommu: this.ivhd,
    });
  }

  /** ILLEGAL_DEV_TABLE_ENTRY: logged with RW and RZ (reserved bit set), the request aborted. */
  private illegalDte(req: DmaRequest, out: TranslationOut, dte: DecodedDte): void {
    const flags = (req.write ? AMD_EVENT_FLAG.RW : 0) | (dte.reserved ? AMD_EVENT_FLAG.RZ : 0);
    this.raise(req, out, AMD_EVENT.ILL_DEV, 'ILLEGAL_DEV_TABLE_ENTRY', dte.domainId, flags, 0);
  }

  private ioPageFault(req: DmaRequest, out: TranslationOut, domainId: number, flags: number): void {
    const f = flags | (req.write ? AMD_EVENT_FLAG.RW : 0);
    this.raise(req, out, AMD_EVENT.IO_FAULT, 'IO_PAGE_FAULT', domainId, f, domainId);
  }

  /** Logs an event for a request and fails the request with it (a fault is a value). */
  private raise(
    req: DmaRequest,
    out: TranslationOut,
    code: number,
    reasonText: string,
    domainId: number,
    flags: number,
    eventDomainId: number,
  ): void {
    this.cnt[HW_FAULTS]!++;
    const event = { code, deviceId: req.sourceId, domainId: eventDomainId, address: req.address, flags };
    this.events.append(event);
    out.ok = false;
    out.fault = {
      unit: 'amd',
      reason: code,
      reasonText,
      sourceId: req.sourceId,
      segment: req.segment,
      address: req.address,
      write: req.write,
      pasid: req.pasid,
      domainId,
      flags,
      logLine: this.eventLine(event),
    };
  }
}
