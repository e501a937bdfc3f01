// SPDX-License-Identifier: Apache-2.0
// The SMMUv3 unit as Linux drives it: attach (STE/CD writes and their CFGI + CMD_SYNC), stage-1
// and stage-2 DMA domains, bypass and abort, TLB hits and the stale entries lazy mode lives with,
// faults as values with their events and Linux's lines, configuration-cache invalidation, PASIDs,
// ATS, command errors and PRI.

import { describe, expect, it } from 'vitest';
import { type DmaRequest, newTranslationOut } from '../iommu/translation';
import { PhysMemory } from '../memory/phys-memory';
import { PERM_READ, PERM_RW } from '../page-table/format';
import {
  HW_CONTEXT_CACHE_MISS,
  HW_DEVICE_IOTLB_INV,
  HW_INV_DESCRIPTORS,
  HW_INV_WAITS,
  HW_TLB_INVALIDATIONS,
} from '../stats/hw-counters';
import { CMD_BYTES, cfgiSte, OP, opcodeOf, tlbi } from './commands';
import { EVT } from './event-queue';
import { STE } from './fields';
import type { SmmuV3Params } from './registers';
import { EATS, STE_CONFIG } from './stream-table';
import { MAX_TLB_CONTEXTS } from './tlb-contexts';
import { type SmmuAttachOptions, SmmuV3Unit, type SmmuV3UnitOptions } from './unit';

const SID = 0x0100;

function setup(params: Partial<SmmuV3Params> = {}, opts: Partial<SmmuV3UnitOptions> = {}) {
  const mem = new PhysMemory();
  const unit = new SmmuV3Unit({ mem, params, ...opts });
  const out = newTranslationOut();
  const req = (address: number, write = false, sid = SID, pasid = -1): DmaRequest => ({
    sourceId: sid,
    segment: 0,
    address,
    write,
    pasid,
  });
  const tr = (address: number, write = false, sid = SID, pasid = -1) => {
    unit.translate(req(address, write, sid, pasid), out);
    return out;
  };
  return { mem, unit, out, tr };
}

/** setup(), with a DMA domain `d` mapping [iova, iova + length) to pa with `perm`, attached to SID. */
function setupMapped(iova: number, pa: number, length: number, perm: number, attach: SmmuAttachOptions = {}) {
  const s = setup();
  const d = s.unit.createDomain('dma');
  d.map(iova, pa, length, perm);
  s.unit.attachDevice(SID, d, attach);
  return { ...s, d };
}

/** The opcodes an operation put in the command queue (SEV completion keeps CMD_SYNCs readable). */
function opcodesDuring(unit: SmmuV3Unit, fn: () => void): number[] {
  const q = unit.cmdq;
  const before = q.prodReg;
  fn();
  const n = (q.prodReg - before + 2 * q.entries) % (2 * q.entries);
  const ops: number[] = [];
  for (let i = 0; i < n; i++) ops.push(opcodeOf(unit.mem.readU64(q.basePa + ((before + i) % q.entries) * CMD_BYTES)));
  return ops;
}

describe('SMMUv3 unit: Linux DMA domains', () => {
  it('translates through a stage-1 domain, then from the TLB; a lazy unmap leaves a stale entry until the sync', () => {
    const { unit, tr, d } = setupMapped(0x10_0000, 0x8000_0000, 0x2000, PERM_RW);
    expect(tr(0x10_1008)).toMatchObject({ ok: true, pa: 0x8000_1008, iotlbHit: false, memReads: 4 });
    expect(tr(0x10_1010, true)).toMatchObject({ ok: true, pa: 0x8000_1010, iotlbHit: true, memReads: 0 });
    d.unmap(0x10_1000, 0x1000);
    expect(tr(0x10_1010).ok).toBe(true); // stale: what lazy mode accepts until the flush queue flushes
    d.iotlbSync(0x10_1000, 0x1000);
    const o = tr(0x10_1010);
    expect([o.ok, o.fault?.unit, o.fault?.reason, o.fault?.reasonText]).toEqual([false, 'smmu', 0x10, 'F_TRANSLATION']);
    expect(o.fault?.logLine).toBe(
      'arm-smmu-v3 arm-smmu-v3.0.auto: event: F_TRANSLATION client: 0000:01:00.0 sid: 0x100 ssid: 0 iova: 0x101010 ipa: 0',
    );
    expect(unit.drainLog()).toHaveLength(7);
    expect(tr(0x10_0000).ok).toBe(true); // the other page is still mapped
  });

  it('reports a write to a read-only mapping as F_PERMISSION, and names the stage', () => {
    const { unit, tr } = setupMapped(0x1000, 0x5000, 0x1000, PERM_READ);
    expect(tr(0x1000).ok).toBe(true);
    expect(tr(0x1000, true).fault?.reason).toBe(EVT.F_PERMISSION); // a TLB hit without write walks again
    const s2 = unit.createDomain('unmanaged', { stage: 2 });
    s2.map(0x1000, 0x5000, 0x1000, PERM_READ);
    unit.attachDevice(0x0200, s2);
    expect(tr(0x1000, false, 0x0200)).toMatchObject({ ok: true, pa: 0x5000 });
    expect(tr(0x2000, false, 0x0200).fault?.logLine).toContain('ipa: 0x2000');
    expect(unit.drainLog().filter((l) => l.includes('unpriv data'))).toEqual([
      'arm-smmu-v3 arm-smmu-v3.0.auto: unpriv data write s1 "Input address caused fault" stag: 0',
      'arm-smmu-v3 arm-smmu-v3.0.auto: unpriv data read s2 "Input address caused fault" stag: 0',
    ]);
  });

  it('passes identity (bypass STE) through, aborts blocked masters without an event, and reports unknown SIDs', () => {
    const { unit, tr } = setup();
    unit.attachDevice(SID, 'passthrough');
    expect(tr(0x1234_5678)).toMatchObject({ ok: true, pa: 0x1234_5678 });
    unit.attachDevice(SID, 'blocked');
    const o = tr(0x1000);
    expect([o.ok, o.fault?.reason, o.fault?.logLine]).toEqual([false, 0, '']);
    expect(unit.evtq.recorded).toBe(0);
    expect(tr(0x1000, false, 0x0101).fault?.reason).toBe(0); // same level-2 table: Linux's aborting STEs
    expect(tr(0x1000, false, 0x0300).fault?.reasonText).toBe('C_BAD_STREAMID'); // no level-2 table
    expect(tr(0x1000, false, 0x0300).fault?.logLine).toContain('client: (unassigned sid)');
  });

  it('keeps using a cached STE until CMD_CFGI_STE, then reports the corrupt one (C_BAD_STE)', () => {
    const { unit, tr } = setup();
    unit.attachDevice(SID, 'passthrough');
    expect(tr(0x1000).ok).toBe(true);
    unit.streams.write(SID, BigInt(1 | (1 << 1))); // V with a reserved Config (0b001)
    expect(tr(0x1000).ok).toBe(true); // the configuration cache still holds the bypass STE
    unit.cmdq.issueCmdlist([cfgiSte(SID)], true);
    expect(tr(0x1000).fault?.reasonText).toBe('C_BAD_STE');
    expect(unit.counters.c[HW_CONTEXT_CACHE_MISS]).toBeGreaterThan(0);
  });

  it("writes Linux's command sequences: CFGI_CD + SYNC, CFGI_STE + SYNC (three when more than one word changes), PREFETCH", () => {
    const { unit } = setup({ msi: false });
    const d = unit.createDomain('dma');
    const attach = opcodesDuring(unit, () => unit.attachDevice(SID, d));
    expect(attach).toEqual([OP.CFGI_CD, OP.SYNC, ...Array(3).fill([OP.CFGI_STE, OP.SYNC]).flat(), OP.PREFETCH_CONFIG]);
    const back = opcodesDuring(unit, () => unit.attachDevice(SID, 'passthrough'));
    expect(back).toEqual([...Array(3).fill([OP.CFGI_STE, OP.SYNC]).flat(), OP.PREFETCH_CONFIG]);
  });

  it('frees a domain with a final flush and hands its ASID out again', () => {
    const { unit } = setup({ msi: false });
    const a = unit.createDomain('unmanaged');
    const b = unit.createDomain('unmanaged');
    expect([a.domainId, b.domainId]).toEqual([1, 2]);
    a.map(0, 0x4000_0000, 0x20_0000, PERM_RW);
    unit.attachDevice(SID, a);
    expect(() => unit.freeDomain(a)).toThrow(/still has devices/);
    unit.attachDevice(SID, 'blocked');
    expect(opcodesDuring(unit, () => unit.freeDomain(a))).toEqual([OP.TLBI_EL2_ASID, OP.SYNC]);
    expect(unit.createDomain('dma').domainId).toBe(1);
  });
});

describe('SMMUv3 unit: SubstreamIDs, nesting, ATS, errors, PRI', () => {
  it("translates per SubstreamID through the master's CD table and refuses SSIDs it cannot hold", () => {
    const { unit, tr } = setup();
    const rid = unit.createDomain('dma');
    const pasid = unit.createDomain('dma');
    rid.map(0x1000, 0x1_0000, 0x1000, PERM_RW);
    pasid.map(0x1000, 0x2_0000, 0x1000, PERM_RW);
    unit.attachDevice(SID, rid, { ssidBits: 4 });
    unit.setPasid(SID, 3, pasid);
    expect([tr(0x1000).pa, tr(0x1000, false, SID, 3).pa, tr(0x1000, false, SID, 0).pa]).toEqual([
      0x1_0000, 0x2_0000, 0x1_0000,
    ]);
    expect(tr(0x1000, false, SID, 5).fault?.reasonText).toBe('C_BAD_CD'); // CD 5 never written
    expect(tr(0x1000, false, SID, 16).fault?.reasonText).toBe('C_BAD_SUBSTREAMID');
    expect(() => unit.setPasid(SID, 16, pasid)).toThrow(/cannot take/);
  });

  it('walks nested stage 1 through stage 2, and reports a stage-2 fault on a stage-1 table read as CLASS = TT', () => {
    const { unit, tr, mem } = setup();
    const s1 = unit.createDomain('dma');
    const s2 = unit.createDomain('unmanaged', { stage: 2 });
    s2.map(0x1000_0000, 0x1000_0000, 0x10_0000, PERM_READ); // the table pool, identity
    s2.map(0x4000_0000, 0x9000_0000, 0x1000, PERM_RW); // IPA -> PA of the data page
    s1.map(0x2000, 0x4000_0000, 0x1000, PERM_RW);
    unit.attachDevice(SID, s1);
    const s1ste = unit.streams.read(SID);
    unit.attachDevice(0x0200, s2);
    const s2ste = unit.streams.read(0x0200);
    const words23 = (0xffff_ffff_ffff_ffffn << 128n) | (0xffff_ffff_ffff_ffffn << 192n);
    const config = BigInt(STE.Config![1]);
    const strw = 3n << BigInt(STE.STRW![1]);
    const nested = (s1ste & ~words23) | (s2ste & words23) | (BigInt(STE_CONFIG.NESTED) << config);
    unit.streams.write(SID, nested);
    unit.cmdq.issueCmdlist([cfgiSte(SID)], true);
    expect(tr(0x2010).fault?.reasonText).toBe('C_BAD_STE'); // StreamWorld EL2 with stage 2 is ILLEGAL
    unit.streams.write(SID, nested & ~strw); // NS-EL1, as Linux's nested STEs are
    unit.cmdq.issueCmdlist([cfgiSte(SID)], true);
    expect(tr(0x2010)).toMatchObject({ ok: true, pa: 0x9000_0010 });
    s2.unmap(0x1000_0000, 0x10_0000); // stage 2 no longer maps stage 1's tables
    s2.flushIotlbAll();
    expect(tr(0x2010).ok).toBe(false);
    const lines = unit.drainLog();
    // The IPA recorded is that of the stage-1 root entry stage 2 could not translate.
    expect(lines.at(-2)).toMatch(
      new RegExp(`event: F_TRANSLATION .* iova: 0x2010 ipa: 0x${s1.pt.rootPa.toString(16)}$`),
    );
    expect(lines.at(-1)).toContain('unpriv data read s2 "Stage 1 translation table fetch" stag: 0');
    expect(mem.tablePagesInUse).toBeGreaterThan(0);
  });

  it('answers ATS devices from their ATC, invalidates ATCs with the TLB, and refuses ATS when the STE forbids it', () => {
    const { unit, tr, d } = setupMapped(0x1000, 0x5000, 0x1000, PERM_RW, { ats: true });
    expect(tr(0x1000)).toMatchObject({ ok: true, iotlbHit: false });
    const hits = unit.contexts.tlb.hits;
    expect(tr(0x1000)).toMatchObject({ ok: true, iotlbHit: true });
    expect(unit.contexts.tlb.hits).toBe(hits); // the device's own ATC answered
    const inv = unit.counters.c[HW_DEVICE_IOTLB_INV]!;
    d.unmap(0x1000, 0x1000);
    d.iotlbSync(0x1000, 0x1000);
    expect(unit.counters.c[HW_DEVICE_IOTLB_INV]).toBe(inv + 1);
    expect(tr(0x1000).ok).toBe(false);
    const ste = unit.streams.read(SID) & ~(3n << BigInt(STE.EATS![1]));
    unit.streams.write(SID, ste | (BigInt(EATS.ABT) << BigInt(STE.EATS![1])));
    unit.cmdq.issueCmdlist([cfgiSte(SID)], true);
    const o = tr(0x1000);
    expect([o.fault?.reason, o.fault?.logLine]).toEqual([
      EVT.F_BAD_ATS_TREQ,
      'arm-smmu-v3 arm-smmu-v3.0.auto: event: UNKNOWN client: 0000:01:00.0 sid: 0x100 ssid: 0',
    ]);
  });

  it('logs an illegal command as Linux does, skips it and completes the CMD_SYNC after it', () => {
    const { unit } = setup();
    const waits = unit.counters.c[HW_INV_WAITS]!;
    unit.cmdq.issueCmdlist([0x7fn, cfgiSte(SID)], true);
    expect(unit.counters.c[HW_INV_WAITS]).toBe(waits + 1);
    const log = unit.drainLog();
    expect(log[1]).toMatch(/CMDQ error \(cons 0x01[0-9a-f]{6}\): Illegal command$/);
    expect(log.slice(2)).toEqual([
      'arm-smmu-v3 arm-smmu-v3.0.auto: skipping command in error state:',
      'arm-smmu-v3 arm-smmu-v3.0.auto: \t0x000000000000007f',
      'arm-smmu-v3 arm-smmu-v3.0.auto: \t0x0000000000000000',
    ]);
    expect(unit.cmdq.errors).toBe(1);
  });

  it('denies an unexpected PRI page request with PRI_RESP, as arm_smmu_handle_ppr() does', () => {
    const { unit } = setup();
    const lines = unit.pageRequest({
      sid: SID,
      ssid: -1,
      grpid: 7,
      last: true,
      read: true,
      write: false,
      address: 0x4000,
    });
    expect(lines[1]).toBe(
      'arm-smmu-v3 arm-smmu-v3.0.auto: \tsid 0x00000100.0x00000: [7L] unprivileged R access at iova 0x0000000000004000',
    );
    expect(unit.priResponses).toEqual([{ sid: SID, ssid: -1, grpid: 7, resp: 0 }]);
    expect(() =>
      setup({ pri: false }).unit.pageRequest({
        sid: 1,
        ssid: -1,
        grpid: 0,
        last: true,
        read: true,
        write: false,
        address: 0,
      }),
    ).toThrow(/no PRI/);
  });

  it('rolls the TLB tags over instead of growing without bound, dropping cached configurations with them', () => {
    const { unit, tr } = setupMapped(0x1000, 0x5000, 0x1000, PERM_RW);
    expect(tr(0x1000).ok).toBe(true);
    for (let asid = 0; asid < MAX_TLB_CONTEXTS; asid++) unit.contexts.contextOf(1, asid, 7, false);
    expect([unit.contexts.rollovers, unit.translator.cachedConfigs]).toEqual([1, 0]);
    expect(tr(0x1000)).toMatchObject({ ok: true, iotlbHit: false }); // refetched, retagged, walked again
  });

  it('counts commands and CMD_SYNCs for the cost model, and refuses what the hardware cannot do', () => {
    const { unit } = setup();
    const before = [unit.counters.c[HW_INV_DESCRIPTORS]!, unit.counters.c[HW_INV_WAITS]!];
    unit.cmdq.issueCmdlist([cfgiSte(1), cfgiSte(2)], true);
    expect([unit.counters.c[HW_INV_DESCRIPTORS]! - before[0]!, unit.counters.c[HW_INV_WAITS]! - before[1]!]).toEqual([
      3, 1,
    ]);
    // Configuration invalidations are no TLBIs; a strict 4 KiB unmap's TLBI_EL2_VA is one.
    const tlbis = unit.counters.c[HW_TLB_INVALIDATIONS]!;
    unit.cmdq.issueCmdlist([tlbi(OP.TLBI_EL2_VA, { asid: 1, addr: 0x1000 })], true);
    expect(unit.counters.c[HW_TLB_INVALIDATIONS]! - tlbis).toBe(1);
    expect(() => unit.attachDevice(0x1_0000, 'passthrough')).toThrow(/SIDSIZE/);
    expect(
      () => unit.createDomain('dma', { stage: 2 }) && setup({ stage2: false }).unit.createDomain('dma', { stage: 2 }),
    ).toThrow(/stage-2/);
    expect(() => new SmmuV3Unit({ mem: new PhysMemory(), params: { cmdqLog2: 6 } })).toThrow(/not supported/);
    expect(() => new SmmuV3Unit({ mem: new PhysMemory(), pageSize: '16K', params: { granules: ['4K'] } })).toThrow(
      /granule/,
    );
  });
});
