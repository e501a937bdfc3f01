// SPDX-License-Identifier: Apache-2.0

import { describe, expect, it } from 'vitest';
import { getAddress, getField, getNumber } from '../bits/bitfield';
import { newTranslationOut } from '../iommu/translation';
import { PhysMemory } from '../memory/phys-memory';
import { PERM_READ, PERM_RW } from '../page-table/format';
import { PageTable } from '../page-table/page-table';
import { vtdSecondStageFormat } from '../page-table/vtd-second-stage';
import { HW_DEVICE_IOTLB_INV } from '../stats/hw-counters';
import { calculatePsiAlignedAddress } from './domain';
import { dmarFaultLine } from './faults';
import { DESC_DEV_IOTLB, DESC_IOTLB, DESC_WAIT } from './fields';
import {
  contextCacheDesc,
  devIotlbDesc,
  iotlbDesc,
  QI_DIOTLB_TYPE,
  QI_DONE,
  QI_GRAN_PAGE,
  QI_IN_USE,
  waitDesc,
} from './invalidation';
import { capReg, DEFAULT_VTD_PARAMS, ecapReg } from './registers';
import { decodeContext, encodeContext, encodeRoot } from './root-context';
import { VtdUnit } from './unit';

const req = (sourceId: number, address: number, write = false) => ({ sourceId, segment: 0, address, write, pasid: -1 });

describe('VT-d bit patterns (golden, from the spec tables)', () => {
  it('root and context entries', () => {
    // Root: P=1, CTP=0x12345 -> 0x12345001 (§9.1).
    expect(encodeRoot(0x1234_5000)).toBe(0x1234_5001n);
    // Context: P=1, TT=0, SLPTPTR=0xabcde000, AW=2 (48-bit), DID=0x42 -> lo 0xabcde001, hi (0x42<<8)|2.
    const ce = encodeContext({ tt: 0, slptptr: 0xabcd_e000, aw: 2, did: 0x42 });
    expect(ce).toBe((0x4202n << 64n) | 0xabcd_e001n);
    expect(decodeContext(ce)).toMatchObject({ present: true, tt: 0, aw: 2, did: 0x42, slptptr: 0xabcd_e000 });
    // Pass-through: TT=2 at bits 3:2 -> 0x9.
    expect(encodeContext({ tt: 2, slptptr: 0, aw: 2, did: 0 }) & 0xfn).toBe(0x9n);
  });

  it('invalidation descriptors', () => {
    // IOTLB PSI, DID 5, DR|DW, addr 0x12345000, AM 3: qw0 = 0x0005_00f2, qw1 = 0x12345003.
    expect(iotlbDesc(QI_GRAN_PAGE, 5, 0x1234_5000, 3)).toBe((0x1234_5003n << 64n) | 0x0005_00f2n);
    // Context-cache device-selective: G=3, DID 7, SID 0x0100: qw0 = 0x0100_0007_0031.
    expect(contextCacheDesc(3, 7, 0x100)).toBe(0x0100_0007_0031n);
    // Wait as qi_submit_sync() builds it: SW (bit 5), no FN, status data QI_DONE = 2, status at
    // 0x1000: qw0 = 0x2_0000_0025, qw1 = 0x1000. (Was SW|FN with data 1: neither is Linux's.)
    expect(waitDesc(0x1000, QI_DONE)).toBe((0x1000n << 64n) | 0x2_0000_0025n);
    // Device-TLB, 2 pages at 0x4000: S=1 and ADDR bit 12 clear (8 KiB); SID 0x300 at 47:32; qdep 32 -> 0.
    expect(devIotlbDesc(0x300, 32, 0x4000, 1)).toBe((0x4001n << 64n) | 0x300_0000_0003n);
    // 4 pages at 0x8000: ADDR bit 12 set -> 16 KiB.
    expect(devIotlbDesc(0x300, 8, 0x8000, 2) >> 64n).toBe(0x9001n);
  });

  it('capability registers from parameters', () => {
    const cap = capReg(DEFAULT_VTD_PARAMS);
    expect(Number((cap >> 8n) & 0x1fn)).toBe(0b110); // SAGAW: 39- and 48-bit
    expect(Number((cap >> 16n) & 0x3fn)).toBe(47); // MGAW = 48 - 1
    expect(Number((cap >> 34n) & 0xfn)).toBe(0b11); // SLLPS 2M|1G
    expect(Number((ecapReg(DEFAULT_VTD_PARAMS) >> 6n) & 1n)).toBe(1); // PT
    expect(Number((cap >> 59n) & 1n)).toBe(1); // PI
    expect(Number((capReg({ ...DEFAULT_VTD_PARAMS, postedInterrupts: false }) >> 59n) & 1n)).toBe(0);
  });
});

/** The two 32-bit halves of entry `i` of the table at `tablePa`. */
function words(unit: VtdUnit, tablePa: number, i: number): [number, number] {
  const w = unit.mem.words(tablePa / 4096)!;
  return [w[2 * i]!, w[2 * i + 1]!];
}

function setup(params = {}) {
  const unit = new VtdUnit({ mem: new PhysMemory(), params });
  return { unit, out: newTranslationOut() };
}

/** setup(), with a new DMA domain `d` attached to `sourceId`. */
function setupAttached(sourceId: number, params = {}, attach: { ats?: boolean } = {}) {
  const { unit, out } = setup(params);
  const d = unit.createDomain();
  unit.attachDevice(sourceId, d, attach);
  return { unit, out, d };
}

describe('VT-d translation', () => {
  it('translates through memory, then from the IOTLB', () => {
    const { unit, out, d } = setupAttached(0x0100);
    d.map(0xffff_f000, 0x8_0000_0000, 4096, PERM_RW);
    unit.translate(req(0x0100, 0xffff_f123), out);
    expect(out).toMatchObject({ ok: true, pa: 0x8_0000_0123, iotlbHit: false });
    expect(out.memReads).toBe(2 + 4); // root + context, then 4 levels
    unit.translate(req(0x0100, 0xffff_f456, true), out);
    expect(out).toMatchObject({ ok: true, pa: 0x8_0000_0456, iotlbHit: true, memReads: 0 });
  });

  it('maps 2 MiB leaves, and 4 KiB only when the driver turns superpages off (intel_iommu=sp_off)', () => {
    for (const superpagesOff of [false, true]) {
      const unit = new VtdUnit({ mem: new PhysMemory(), superpagesOff });
      expect(Number((unit.cap >> 34n) & 0xfn)).toBe(0b11); // the hardware still reports SLLPS
      expect(unit.pageSizesLg2).toEqual(superpagesOff ? [12] : [12, 21, 30]);
      const d = unit.createDomain();
      unit.attachDevice(0x0100, d);
      d.map(0x4000_0000, 0x8_0000_0000, 2 << 20, PERM_RW);
      const out = newTranslationOut();
      unit.translate(req(0x0100, 0x4000_1000), out);
      expect(out).toMatchObject({ ok: true, pa: 0x8_0000_1000, sizeLg2: superpagesOff ? 12 : 21 });
    }
  });

  it('faults with the spec codes and the exact Linux lines', () => {
    const { unit, out } = setup();
    unit.translate(req(0x00fe, 0x1000), out); // 00:1f.6, nothing programmed
    expect(out.fault).toMatchObject({ reason: 0x01, reasonText: 'Present bit in root entry is clear' });
    const d = unit.createDomain();
    unit.attachDevice(0x00fe, d);
    d.map(0x2000, 0x9000, 4096, PERM_READ);
    unit.translate(req(0x00fe, 0xffff_f000), out);
    expect(out.fault!.logLine).toBe(
      'DMAR: [DMA Read NO_PASID] Request device [00:1f.6] fault addr 0xfffff000 [fault reason 0x06] PTE Read access is not set',
    );
    unit.translate(req(0x00fe, 0x2010, true), out);
    expect(out.fault!.reason).toBe(0x05);
    unit.translate(req(0x00ff, 0x2010), out);
    expect(out.fault!.reason).toBe(0x02);
    expect(unit.faults.service()).toEqual([
      'DMAR: DRHD: handling fault status reg 2',
      dmarFaultLine({ sourceId: 0xfe, address: 0, reason: 1, write: false, pasid: -1 }).replace(
        'fault addr 0x0',
        'fault addr 0x1000',
      ),
      'DMAR: [DMA Read NO_PASID] Request device [00:1f.6] fault addr 0xfffff000 [fault reason 0x06] PTE Read access is not set',
      'DMAR: [DMA Write NO_PASID] Request device [00:1f.6] fault addr 0x2000 [fault reason 0x05] PTE Write access is not set',
      'DMAR: [DMA Read NO_PASID] Request device [00:1f.7] fault addr 0x2000 [fault reason 0x02] Present bit in context entry is clear',
    ]);
  });

  it('with FPD set in the context entry, faults are reported to the caller but not recorded (§9.3)', () => {
    const { unit, out, d } = setupAttached(0x00fe);
    d.map(0x2000, 0x9000, 4096, PERM_READ);
    // The entry attachDevice() wrote, with FPD set, and the context cache told (device-selective).
    const ctx = decodeContext(unit.mem.readWide(unit.root.contextTable(0) + 0xfe * 16, 16));
    expect(ctx).toMatchObject({ present: true, fpd: false, did: d.domainId });
    unit.root.setContext(0x00fe, encodeContext({ ...ctx, fpd: true }));
    unit.submitSync([contextCacheDesc(3, 0, 0x00fe)]);
    unit.translate(req(0x00fe, 0x2010, true), out); // a write to a read-only page
    expect(out).toMatchObject({ ok: false, fault: { reason: 0x05 } });
    unit.translate(req(0x00fe, 0x5_0000), out); // not mapped
    expect(out.fault!.reason).toBe(0x06);
    expect(unit.faults.service()).toEqual([]);
    unit.translate(req(0x00ff, 0x2010), out); // another device, FPD clear: recorded
    expect(unit.faults.service()).toHaveLength(2);
  });

  it('keeps a stale IOTLB entry after the PTE is cleared until page-selective invalidation', () => {
    const { unit, out, d } = setupAttached(0x0200);
    d.map(0x10_0000, 0x4000_0000, 4096, PERM_RW);
    unit.translate(req(0x0200, 0x10_0000), out);
    d.unmap(0x10_0000, 4096);
    unit.translate(req(0x0200, 0x10_0000), out);
    expect(out).toMatchObject({ ok: true, iotlbHit: true }); // stale: lazy-mode window
    d.iotlbSync(0x10_0000, 4096);
    unit.translate(req(0x0200, 0x10_0000), out);
    expect(out.ok).toBe(false);
    expect(out.fault!.reason).toBe(0x06);
  });

  it("walks as many levels as the context entry's AW says, among the widths CAP.SAGAW reports", () => {
    const { unit, out } = setup(); // 48-bit: SAGAW = 39 | 48
    const pt3 = new PageTable(
      unit.mem,
      vtdSecondStageFormat({ widthBits: 39, superpages: { '2M': true, '1G': true } }),
    );
    pt3.map(0x7000, 0xabc_d000, 4096, PERM_RW);
    unit.root.setContext(0x0600, encodeContext({ tt: 0, slptptr: pt3.rootPa, aw: 1, did: 9 }));
    unit.translate(req(0x0600, 0x7008), out);
    expect(out).toMatchObject({ ok: true, pa: 0xabc_d008, memReads: 2 + 3 }); // root + context, 3 levels
    unit.translate(req(0x0600, 2 ** 39), out);
    expect(out.fault!.reason).toBe(0x04); // beyond the context's 39 bits: "Access beyond MGAW"
    unit.root.setContext(0x0700, encodeContext({ tt: 0, slptptr: pt3.rootPa, aw: 3, did: 9 })); // 57-bit: not in SAGAW
    unit.translate(req(0x0700, 0x7008), out);
    expect(out.fault).toMatchObject({ reason: 0x03, reasonText: 'Invalid context entry' });
    unit.root.setContext(0x0701, encodeContext({ tt: 0, slptptr: pt3.rootPa, aw: 0, did: 9 })); // 30-bit: reserved
    unit.translate(req(0x0701, 0x7008), out);
    expect(out.fault!.reason).toBe(0x03);
  });

  it('honours SNP in a leaf when ECAP.SC is set, and faults on it (reserved) when not', () => {
    for (const snoopControl of [true, false]) {
      const { unit, out } = setup({ snoopControl });
      expect(Number((unit.ecap >> 7n) & 1n)).toBe(snoopControl ? 1 : 0);
      const d = unit.createDomain();
      unit.attachDevice(0x0100, d);
      d.map(0x5000, 0x9000, 4096, PERM_RW);
      // Set SNP (bit 11) in the level-1 entry, as Linux does for a force-snooping domain.
      const l1 = d.pt.fmt.entryOutputAddress(...words(unit, d.pt.rootPa, 0), 4);
      const l2 = d.pt.fmt.entryOutputAddress(...words(unit, l1, 0), 3);
      const l1Table = d.pt.fmt.entryOutputAddress(...words(unit, l2, 0), 2);
      unit.mem.writeU64(l1Table + 5 * 8, unit.mem.readU64(l1Table + 5 * 8) | 0x800n);
      unit.translate(req(0x0100, 0x5010), out);
      if (snoopControl) expect(out).toMatchObject({ ok: true, pa: 0x9010 });
      else expect(out.fault).toMatchObject({ reason: 0x0c, reasonText: 'non-zero reserved fields in PTE' });
    }
  });

  it('passes through with TT=2 and blocks when the context entry is cleared', () => {
    const { unit, out } = setup();
    unit.attachDevice(0x0300, 'passthrough');
    unit.translate(req(0x0300, 0x1234_5678), out);
    expect(out).toMatchObject({ ok: true, pa: 0x1234_5678 });
    unit.attachDevice(0x0300, 'blocked');
    unit.translate(req(0x0300, 0x1234_5678), out);
    expect(out.fault!.reason).toBe(0x02);
    expect(() => setup({ passThrough: false }).unit.attachDevice(1, 'passthrough')).toThrow(/ECAP.PT=0/);
  });

  it('widens a page-selective invalidation until its aligned block covers the range (calculate_psi_aligned_address)', () => {
    // 2 pages at 0x3000 straddle a 16 KiB boundary: the 8-page block at 0 covers them (AM 3).
    expect(calculatePsiAlignedAddress(0x3000, 0x4fff)).toEqual({ addr: 0, mask: 3, pages: 8 });
    expect(calculatePsiAlignedAddress(0x4000, 0x5fff)).toEqual({ addr: 0x4000, mask: 1, pages: 2 });
    expect(calculatePsiAlignedAddress(0x7000, 0x7fff)).toEqual({ addr: 0x7000, mask: 0, pages: 1 });
    expect(calculatePsiAlignedAddress(0x1ff000, 0x200fff)).toEqual({ addr: 0, mask: 10, pages: 1024 });
    const { unit, out } = setup();
    const d = unit.createDomain('unmanaged');
    unit.attachDevice(0x0200, d);
    d.map(0x3000, 0x1_0000_3000, 0x2000, PERM_RW);
    unit.translate(req(0x0200, 0x4000, true), out);
    expect(out).toMatchObject({ ok: true, pa: 0x1_0000_4000 });
    d.unmap(0x3000, 0x2000);
    d.iotlbSync(0x3000, 0x2000);
    unit.translate(req(0x0200, 0x4000, true), out); // was an IOTLB hit: PSI covered 0x2000-0x3fff only
    expect(out.ok).toBe(false);
    expect(out.fault!.reason).toBe(0x05);
  });

  it('polls a status word qi_submit_sync() set to QI_IN_USE (1) until the wait descriptor writes QI_DONE (2)', () => {
    const { unit } = setup();
    const d = unit.createDomain();
    const writes: [number, number][] = [];
    const write = unit.mem.writeU32.bind(unit.mem);
    unit.mem.writeU32 = (pa: number, v: number) => {
      writes.push([pa, v]);
      write(pa, v);
    };
    d.flushIotlbAll();
    const wait = unit.iq.readDescriptor(unit.iq.head - 1);
    const statusPa = getAddress(wait, DESC_WAIT, 'STATUS_ADDR');
    expect(writes.filter(([pa]) => pa === statusPa).map(([, v]) => v)).toEqual([QI_IN_USE, QI_DONE]);
    expect([QI_IN_USE, QI_DONE]).toEqual([1, 2]);
    expect(getField(wait, DESC_WAIT, 'FN')).toBe(0n);
    expect(getField(wait, DESC_WAIT, 'SW')).toBe(1n);
    expect(getField(wait, DESC_WAIT, 'STATUS_DATA')).toBe(2n);
  });

  it('falls back to domain-selective invalidation past MAMV (iommu_flush_iotlb_psi)', () => {
    const { unit } = setup({ mamv: 2 });
    const d = unit.createDomain();
    const seen: bigint[] = [];
    const orig = unit.submitSync.bind(unit);
    unit.submitSync = (descs) => {
      seen.push(...descs);
      orig(descs);
    };
    d.iotlbSync(0, 4096 * 4);
    d.iotlbSync(0, 4096 * 5);
    expect(seen.map((x) => getNumber(x, DESC_IOTLB, 'G'))).toEqual([3, 2]);
  });
});

describe('VT-d device-TLB (ATS)', () => {
  it('serves an ATS device from its own cache until a device-TLB invalidation drops the entry', () => {
    const { unit, out, d } = setupAttached(0x0500, {}, { ats: true });
    d.map(0x2000, 0x6000, 4096, PERM_RW);
    unit.translate(req(0x0500, 0x2000), out);
    unit.iotlb.invalidateAll(); // only the device's cache holds it now
    d.unmap(0x2000, 4096);
    unit.translate(req(0x0500, 0x2010), out);
    expect(out).toMatchObject({ ok: true, pa: 0x6010 }); // stale in the device-TLB
    d.iotlbSync(0x2000, 4096); // PSI + device-TLB invalidation (qi_flush_dev_iotlb)
    unit.translate(req(0x0500, 0x2010), out);
    expect(out.ok).toBe(false);
    expect(unit.counters.c[HW_DEVICE_IOTLB_INV]).toBe(1);
  });

  it('invalidates the device-TLB even when the IOTLB flush falls back to domain-selective (cache_tag_flush_range)', () => {
    const { unit, out, d } = setupAttached(0x0500, { mamv: 0 }, { ats: true });
    d.map(0x2000, 0x6000, 0x2000, PERM_RW);
    unit.translate(req(0x0500, 0x3000), out);
    const seen: bigint[] = [];
    const orig = unit.submitSync.bind(unit);
    unit.submitSync = (descs) => {
      seen.push(...descs);
      orig(descs);
    };
    d.unmap(0x2000, 0x2000);
    d.iotlbSync(0x2000, 0x2000); // mask 1 > MAMV 0: DSI for the IOTLB, the 2-page block for the device
    expect(seen.map((x) => getNumber(x, DESC_IOTLB, 'TYPE'))).toEqual([2, QI_DIOTLB_TYPE]);
    expect(getField(seen[1]!, DESC_DEV_IOTLB, 'S')).toBe(1n);
    unit.translate(req(0x0500, 0x3000), out);
    expect(out.ok).toBe(false);
  });
});

describe('VT-d paging-structure caches', () => {
  it('start a walk below the root after a first walk, and are dropped by an IH=0 invalidation', () => {
    const { unit, out, d } = setupAttached(0x0100);
    d.map(0x1000, 0x9000, 4096, PERM_RW);
    d.map(0x5000, 0xa000, 4096, PERM_RW);
    d.map(0x7000, 0xb000, 4096, PERM_RW);
    unit.translate(req(0x0100, 0x1000), out);
    expect(out.memReads).toBe(2 + 4);
    unit.translate(req(0x0100, 0x5000), out); // same level-1 table: the PDE cache answers
    expect(out).toMatchObject({ ok: true, pa: 0xa000, memReads: 1 });
    d.iotlbSync(0x1000, 4096);
    unit.translate(req(0x0100, 0x7008), out); // caches dropped: a full walk again
    expect(out).toMatchObject({ ok: true, pa: 0xb008, memReads: 4 });
    expect(unit.psc.hits).toBe(1);
  });
});
