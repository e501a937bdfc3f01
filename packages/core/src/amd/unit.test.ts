// SPDX-License-Identifier: Apache-2.0

import { describe, expect, it } from 'vitest';
import { newTranslationOut } from '../iommu/translation';
import { PhysMemory } from '../memory/phys-memory';
import { amdV1Format } from '../page-table/amd-v1';
import { PERM_READ, PERM_RW } from '../page-table/format';
import { PageTable } from '../page-table/page-table';
import { completionWait, decodeInvRange, invIommuPages } from './commands';
import { translatingDte } from './device-table';
import { AMD_EVENT, amdEventLine } from './event-log';
import { DTE_RESERVED } from './fields';
import { AmdViUnit } from './unit';

const req = (sourceId: number, address: number, write = false) => ({ sourceId, segment: 0, address, write, pasid: -1 });

describe('AMD-Vi bit patterns (golden, from the spec tables)', () => {
  it('device table entry', () => {
    // V|TV, Mode 4 at 11:9, root 0x12345000, IR (61), IW (62); DomainID 0x42 at 79:64.
    expect(translatingDte(0x1234_5000, 4, 0x42)).toBe((0x42n << 64n) | 0x6000_0000_1234_5803n);
  });

  it('commands', () => {
    // One page: S=0, PDE=1, DomainID 5 at 47:32, opcode 3 at 63:60.
    expect(invIommuPages(5, 0x1000, 4096)).toBe((0x1002n << 64n) | 0x3000_0005_0000_0000n);
    // Four pages from 0: build_inv_address() sets bit 12 (below the msb that differs, 13) and S.
    expect(invIommuPages(5, 0, 0x4000)).toBe((0x1003n << 64n) | 0x3000_0005_0000_0000n);
    expect(decodeInvRange(invIommuPages(5, 0, 0x4000))).toEqual({ domainId: 5, start: 0, sizeLg2: 14, pde: true });
    // COMPLETION_WAIT: S, store address 0x1000 at 31:3, opcode 1, data 7.
    expect(completionWait(0x1000, 7n)).toBe((7n << 64n) | 0x1000_0000_0000_1001n);
  });

  it('prints IO_PAGE_FAULT as mainline amd_iommu_report_page_fault() does: 0x%llx, device with its segment', () => {
    // The address was printed 0x%016llx (v4.19-v5.x kernels); mainline prints it unpadded.
    const e = { code: AMD_EVENT.IO_FAULT, deviceId: 0x1500, domainId: 0, address: 0xfff5_0000, flags: 0x20 };
    expect(amdEventLine(e, 0, { driver: 'xhci_hcd' })).toBe(
      'xhci_hcd 0000:15:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0000 address=0xfff50000 flags=0x0020]',
    );
    expect(amdEventLine(e, 0)).toBe(
      'AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:15:00.0 domain=0x0000 address=0xfff50000 flags=0x0020]',
    );
    expect(amdEventLine({ ...e, code: AMD_EVENT.ILL_DEV, flags: 0x80 }, 1, { iommu: 'ivhd2' })).toBe(
      'iommu ivhd2: AMD-Vi: Event logged [ILLEGAL_DEV_TABLE_ENTRY device=0001:15:00.0 pasid=0x00000 address=0xfff50000 flags=0x0080]',
    );
  });

  it("device table reserved bits are QEMU's (AMDVI_DTE_QUAD0..3_RESERVED)", () => {
    const q = (k: number) => (DTE_RESERVED >> BigInt(64 * k)) & 0xffff_ffff_ffff_ffffn;
    expect([q(0), q(1), q(2), q(3)]).toEqual([
      0x8000_0000_0000_007cn,
      0n,
      0x0030_0000_0000_0000n,
      0x003f_0000_0000_7fffn,
    ]);
  });
});

describe('AMD-Vi translation', () => {
  it('caches page-directory entries: a miss next to an earlier one reads only the leaf, until a PDE=1 flush', () => {
    const unit = new AmdViUnit({ mem: new PhysMemory() });
    const out = newTranslationOut();
    const d = unit.createDomain();
    unit.attachDevice(0x0300, d);
    // Four 4 KiB pages under one PDE, physically apart (so no larger AMD page size covers two).
    for (let i = 0; i < 4; i++) d.map(0x40_0000 + i * 0x1000, 0x8000_0000 + i * 0x10_0000, 0x1000, PERM_RW);
    unit.translate(req(0x0300, 0x40_0000), out);
    expect(out).toMatchObject({ ok: true, pa: 0x8000_0000, memReads: 1 + 4 }); // DTE + a 4-level walk
    unit.translate(req(0x0300, 0x40_1000), out);
    expect(out).toMatchObject({ ok: true, pa: 0x8010_0000, memReads: 1 }); // PDE cache: the leaf only
    d.unmap(0x40_3000, 0x1000);
    d.iotlbSync(0x40_3000, 0x1000); // INVALIDATE_IOMMU_PAGES with PDE=1, as Linux sends it
    unit.translate(req(0x0300, 0x40_2000), out);
    expect(out).toMatchObject({ ok: true, pa: 0x8020_0000, memReads: 4 });
    const off = new AmdViUnit({ mem: new PhysMemory(), params: { pdeCacheEntriesPerLevel: 0 } });
    const d2 = off.createDomain();
    off.attachDevice(0x0300, d2);
    d2.map(0x40_0000, 0x8000_0000, 0x1000, PERM_RW);
    d2.map(0x40_1000, 0x9000_0000, 0x1000, PERM_RW);
    off.translate(req(0x0300, 0x40_0000), out);
    off.translate(req(0x0300, 0x40_1000), out);
    expect(out.memReads).toBe(4);
  });

  it('caches DTEs: one device-table read per device until INVALIDATE_DEVTAB_ENTRY, pass-through free after it', () => {
    const unit = new AmdViUnit({ mem: new PhysMemory() });
    const out = newTranslationOut();
    unit.attachDevice(0x0200, 'passthrough');
    unit.translate(req(0x0200, 0x1234_5000), out);
    expect(out).toMatchObject({ ok: true, pa: 0x1234_5000, memReads: 1 }); // the DTE read
    unit.translate(req(0x0200, 0x7777_0000, true), out);
    expect(out).toMatchObject({ ok: true, pa: 0x7777_0000, memReads: 0, iotlbHit: false });
    // A DTE rewritten behind the IOMMU's back is not seen until it is invalidated (stale cache).
    unit.devTable.write(0x0200, translatingDte(0x1000, 3, 9));
    unit.translate(req(0x0200, 0x5000), out);
    expect(out).toMatchObject({ ok: true, pa: 0x5000, memReads: 0 });
    unit.attachDevice(0x0200, 'blocked'); // Linux writes the DTE and flushes it (device_flush_dte())
    unit.translate(req(0x0200, 0x5000), out);
    expect(out.ok).toBe(false);
    expect(out.memReads).toBe(1);
  });

  it('walks the v1 table from the DTE, caches in the IOTLB, and needs INVALIDATE_IOMMU_PAGES after unmap', () => {
    const unit = new AmdViUnit({ mem: new PhysMemory() });
    const out = newTranslationOut();
    const d = unit.createDomain();
    unit.attachDevice(0x0100, d);
    d.map(0x20_0000, 0x4000_0000, 0x20_0000, PERM_RW); // one 2 MiB page (NL=0 at level 2)
    unit.translate(req(0x0100, 0x20_1234, true), out);
    expect(out).toMatchObject({ ok: true, pa: 0x4000_1234, sizeLg2: 21, iotlbHit: false });
    unit.translate(req(0x0100, 0x3f_0000), out);
    expect(out).toMatchObject({ ok: true, pa: 0x401f_0000, iotlbHit: true });
    d.unmap(0x20_0000, 0x20_0000);
    unit.translate(req(0x0100, 0x20_0000), out);
    expect(out.iotlbHit).toBe(true); // stale until invalidated
    d.iotlbSync(0x20_0000, 0x20_0000);
    unit.translate(req(0x0100, 0x20_0000, true), out);
    expect(out.ok).toBe(false);
    // 01:00.0 is attached (the kernel probed it): dev_printk names it, with "pci" for the driver.
    expect(out.fault!.logLine).toBe(
      'pci 0000:01:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0001 address=0x200000 flags=0x0020]',
    );
    unit.devTable.write(0x0901, translatingDte(0, 3, 0)); // a valid DTE of a device never attached
    unit.translate(req(0x0901, 0x1000), out);
    expect(out.fault!.logLine).toBe(
      'AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:09:00.1 domain=0x0000 address=0x1000 flags=0x0000]',
    );
  });

  it('raises ILLEGAL_DEV_TABLE_ENTRY for a valid DTE with a reserved bit or Mode 7, and aborts the request', () => {
    const unit = new AmdViUnit({ mem: new PhysMemory(), index: 1 });
    const out = newTranslationOut();
    const d = unit.createDomain();
    unit.attachDevice(0x0100, d);
    d.map(0x1000, 0x9000, 4096, PERM_RW);
    const good = translatingDte(d.pt.rootPa, 4, d.domainId);
    unit.devTable.write(0x0200, good | (1n << 2n)); // bit 2: reserved (quad 0 bits 6:2)
    unit.translate(req(0x0200, 0x1000, true), out);
    expect(out.fault).toMatchObject({ reason: AMD_EVENT.ILL_DEV, reasonText: 'ILLEGAL_DEV_TABLE_ENTRY', flags: 0xa0 });
    expect(out.fault!.logLine).toBe(
      'iommu ivhd1: AMD-Vi: Event logged [ILLEGAL_DEV_TABLE_ENTRY device=0000:02:00.0 pasid=0x00000 address=0x1000 flags=0x00a0]',
    );
    unit.devTable.write(0x0201, good | (1n << (192n + 50n))); // quad 3 bit 50
    unit.translate(req(0x0201, 0x1000), out);
    expect(out.fault!.reason).toBe(AMD_EVENT.ILL_DEV);
    unit.devTable.write(0x0202, (good & ~(7n << 9n)) | (7n << 9n)); // Mode 7: reserved
    unit.translate(req(0x0202, 0x1000), out);
    expect(out.fault).toMatchObject({ reason: AMD_EVENT.ILL_DEV, flags: 0 });
    // Bits the old masks reserved are fields: PPR (52), bit 72 of the DomainID quad (DomainID is 79:64).
    unit.devTable.write(0x0203, good | (1n << 52n));
    unit.translate(req(0x0203, 0x1000), out);
    expect(out).toMatchObject({ ok: true, pa: 0x9000 });
    // An invalid DTE (V=0) is not checked: the request passes untranslated.
    unit.devTable.write(0x0204, (good & ~1n) | (1n << 2n));
    unit.translate(req(0x0204, 0x1000), out);
    expect(out).toMatchObject({ ok: true, pa: 0x1000 });
    expect(unit.events.drain(0).filter((l) => l.includes('ILLEGAL_DEV_TABLE_ENTRY'))).toHaveLength(3);
  });

  it("walks as many levels as the DTE's Mode says, whatever Mode Linux's domains use", () => {
    const mem = new PhysMemory();
    const unit = new AmdViUnit({ mem }); // domains get Mode 4
    const out = newTranslationOut();
    const pt3 = new PageTable(mem, amdV1Format({ mode: 3 }));
    pt3.map(0x4000_7000, 0xabc_d000, 4096, PERM_RW); // root (level 3) index 1
    unit.devTable.write(0x0300, translatingDte(pt3.rootPa, 3, 7));
    unit.translate(req(0x0300, 0x4000_7008), out);
    expect(out).toMatchObject({ ok: true, pa: 0xabc_d008, memReads: 1 + 3 }); // the DTE, 3 levels
    unit.translate(req(0x0300, 2 ** 39), out); // beyond Mode 3's 39 bits
    expect(out.fault).toMatchObject({ reason: AMD_EVENT.IO_FAULT, flags: 0 });
  });

  it('denies writes through a read-only PTE with PR set, passes through Mode 0, blocks IR=IW=0', () => {
    const unit = new AmdViUnit({ mem: new PhysMemory() });
    const out = newTranslationOut();
    const d = unit.createDomain();
    unit.attachDevice(0x0200, d);
    d.map(0x1000, 0x9000, 4096, PERM_READ);
    unit.translate(req(0x0200, 0x1000, true), out);
    expect(out.fault!.flags).toBe(0x30); // PR | RW
    unit.attachDevice(0x0300, 'passthrough');
    unit.translate(req(0x0300, 0x1234_5678, true), out);
    expect(out).toMatchObject({ ok: true, pa: 0x1234_5678 });
    unit.attachDevice(0x0300, 'blocked');
    unit.translate(req(0x0300, 0x1234_5678), out);
    expect(out.ok).toBe(false);
    expect(unit.events.drain(0)).toHaveLength(2);
  });
});
