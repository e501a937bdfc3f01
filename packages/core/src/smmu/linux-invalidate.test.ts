// SPDX-License-Identifier: Apache-2.0
// Linux's invalidation of an SMMUv3 domain, command by command: __arm_smmu_tlb_inv_range() with and
// without range invalidation (NUM/SCALE chunks, TTL/TG), arm_smmu_cmdq_batch (64 commands per
// issue, one CMD_SYNC at the end), EL2 vs NH opcodes, the ATC, and the walk flush of a freed table.

import { describe, expect, it } from 'vitest';
import { PhysMemory } from '../memory/phys-memory';
import { PERM_RW } from '../page-table/format';
import { HW_INV_DESCRIPTORS, HW_INV_WAITS } from '../stats/hw-counters';
import { CMD_BYTES, field, OP, opcodeOf } from './commands';
import type { SmmuDomain } from './domain';
import { CMD_TLBI } from './fields';
import type { SmmuV3Params } from './registers';
import { SmmuV3Unit, type SmmuV3UnitOptions } from './unit';

function setup(params: Partial<SmmuV3Params> = {}, opts: Partial<SmmuV3UnitOptions> = {}) {
  const unit = new SmmuV3Unit({ mem: new PhysMemory(), params: { msi: false, ...params }, ...opts });
  const d = unit.createDomain('dma');
  unit.attachDevice(0x100, d);
  return { unit, d };
}

/** The commands an operation issued, and the descriptors/waits it counted. */
function during(unit: SmmuV3Unit, fn: () => void) {
  const q = unit.cmdq;
  const c = unit.counters.c;
  const [p0, d0, w0] = [q.prodReg, c[HW_INV_DESCRIPTORS]!, c[HW_INV_WAITS]!];
  fn();
  const n = (q.prodReg - p0 + 2 * q.entries) % (2 * q.entries);
  const cmds: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const pa = q.basePa + ((p0 + i) % q.entries) * CMD_BYTES;
    cmds.push((unit.mem.readU64(pa + 8) << 64n) | unit.mem.readU64(pa));
  }
  return { cmds, ops: cmds.map(opcodeOf), descriptors: c[HW_INV_DESCRIPTORS]! - d0, waits: c[HW_INV_WAITS]! - w0 };
}

function unmapSync(d: SmmuDomain, iova: number, bytes: number): void {
  d.unmap(iova, bytes);
  d.iotlbSync(iova, bytes);
}

describe('Linux SMMUv3 invalidation', () => {
  it('strict unmap of one page: one TLBI_EL2_VA (VHE kernel) with TG/TTL, then one CMD_SYNC', () => {
    const { unit, d } = setup();
    d.map(0x10_0000, 0x8000_0000, 0x1000, PERM_RW);
    const r = during(unit, () => unmapSync(d, 0x10_0000, 0x1000));
    expect([r.ops, r.descriptors, r.waits]).toEqual([[OP.TLBI_EL2_VA, OP.SYNC], 2, 1]);
    const t = r.cmds[0]!;
    expect([
      field(t, CMD_TLBI, 'ASID'),
      field(t, CMD_TLBI, 'TG'),
      field(t, CMD_TLBI, 'TTL'),
      field(t, CMD_TLBI, 'NUM'),
    ]).toEqual([d.asid, 1, 3, 0]);
    const nh = setup({}, { linux: { vhe: false } });
    nh.d.map(0x10_0000, 0x8000_0000, 0x1000, PERM_RW);
    expect(during(nh.unit, () => unmapSync(nh.d, 0x10_0000, 0x1000)).ops).toEqual([OP.TLBI_NH_VA, OP.SYNC]);
  });

  it('splits a range into NUM/SCALE chunks with RIL: 35 pages are 3 pages then 32', () => {
    const { unit, d } = setup();
    d.map(0x10_0000, 0x8000_0000, 35 * 0x1000, PERM_RW);
    const r = during(unit, () => unmapSync(d, 0x10_0000, 35 * 0x1000));
    expect(r.ops).toEqual([OP.TLBI_EL2_VA, OP.TLBI_EL2_VA, OP.SYNC]);
    const chunk = (c: bigint) => [
      field(c, CMD_TLBI, 'ADDR') * 4096,
      field(c, CMD_TLBI, 'NUM'),
      field(c, CMD_TLBI, 'SCALE'),
    ];
    expect([chunk(r.cmds[0]!), chunk(r.cmds[1]!)]).toEqual([
      [0x10_0000, 2, 0],
      [0x10_3000, 0, 5],
    ]);
  });

  it('without RIL issues a TLBI per page, 64 to a batch, with one CMD_SYNC in all', () => {
    const { unit, d } = setup({ rangeInvalidation: false });
    d.map(0x10_0000, 0x8000_0000, 65 * 0x1000, PERM_RW);
    const r = during(unit, () => unmapSync(d, 0x10_0000, 65 * 0x1000));
    expect([r.ops.filter((o) => o === OP.TLBI_EL2_VA).length, r.ops.filter((o) => o === OP.SYNC).length]).toEqual([
      65, 1,
    ]);
    expect([r.descriptors, r.waits, r.ops.at(-1)]).toEqual([66, 1, OP.SYNC]);
  });

  it('flushes the whole ASID for flush_iotlb_all (the flush queue) and adds ATC_INVs for ATS masters', () => {
    const { unit, d } = setup();
    expect(during(unit, () => d.flushIotlbAll()).ops).toEqual([OP.TLBI_EL2_ASID, OP.SYNC]);
    unit.attachDevice(0x101, d, { ats: true });
    expect(during(unit, () => d.flushIotlbAll()).ops).toEqual([OP.TLBI_EL2_ASID, OP.SYNC, OP.ATC_INV, OP.SYNC]);
    const s2 = unit.createDomain('unmanaged', { stage: 2 });
    expect(during(unit, () => s2.flushIotlbAll()).ops).toEqual([OP.TLBI_S12_VMALL, OP.SYNC]);
  });

  it('flushes walk caches (Leaf = 0) inside an unmap that frees a table, as __arm_lpae_unmap() does', () => {
    const { unit, d } = setup();
    d.map(0x20_0000, 0x8000_0000, 0x20_0000, PERM_RW); // a 2 MiB block: no table below
    d.map(0x40_0000, 0x9000_0000, 0x1000, PERM_RW); // a 4 KiB page: a level-3 table
    const block = during(unit, () => d.unmap(0x20_0000, 0x20_0000));
    expect(block.ops).toEqual([]);
    const table = during(unit, () => d.unmap(0x40_0000, 0x20_0000));
    expect(table.ops).toEqual([OP.TLBI_EL2_VA, OP.SYNC]);
    expect(field(table.cmds[0]!, CMD_TLBI, 'LEAF')).toBe(0);
    // The 2 MiB block's invalidation names its level: TTL = 2.
    d.map(0x20_0000, 0x8000_0000, 0x20_0000, PERM_RW);
    const r = during(unit, () => unmapSync(d, 0x20_0000, 0x20_0000));
    expect(field(r.cmds[0]!, CMD_TLBI, 'TTL')).toBe(2);
  });

  it('uses the kernel page size as the granule: 64 KiB pages, TG = 3', () => {
    const unit = new SmmuV3Unit({ mem: new PhysMemory(), pageSize: '64K', params: { msi: false } });
    const d = unit.createDomain('dma');
    expect(d.pageSizesLg2).toEqual([16, 29]);
    unit.attachDevice(0x100, d);
    d.map(0x1_0000, 0x8000_0000, 0x1_0000, PERM_RW);
    const r = during(unit, () => unmapSync(d, 0x1_0000, 0x1_0000));
    expect([field(r.cmds[0]!, CMD_TLBI, 'TG'), field(r.cmds[0]!, CMD_TLBI, 'TTL')]).toEqual([3, 3]);
  });
});
