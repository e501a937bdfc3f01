// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { SimCpu } from '../sim/sim-cpu';
import {
  HW_INV_DESCRIPTORS,
  HW_INV_WAITS,
  HW_PTE_WRITES,
  HW_TABLE_PAGES_ALLOCATED,
  HW_TLB_INVALIDATIONS,
  HW_WALK_MEM_READS,
  HwCounters,
} from '../stats/hw-counters';
import { CostModel, HwSnapshot, newInvalidationCost } from './cost-model';
import { COST_PROFILES, getCostProfile } from './cost-profile';

describe('cost profiles', () => {
  it('give every parameter a source: a measurement row id, a fit or a stated assumption', () => {
    const rows = /^(U\d\d|R\d\d)\b/;
    for (const p of COST_PROFILES) {
      for (const [name, param] of Object.entries(p.params)) {
        const kind = rows.test(param.source)
          ? 'measured'
          : param.source.startsWith('fitted: ')
            ? 'fitted'
            : param.source.startsWith('assumption: ')
              ? 'assumed'
              : 'none';
        expect(kind, `${p.name}.${name}`).not.toBe('none');
        expect(param.value).toBeGreaterThanOrEqual(0);
      }
    }
    expect(() => getCostProfile('no-such-cpu')).toThrow(/unknown cost profile/);
  });

  it('list beside every value the measurements it was set from, each named in its source', () => {
    for (const p of COST_PROFILES) {
      for (const [name, param] of Object.entries(p.params)) {
        const at = `${p.name}.${name}`;
        expect(Array.isArray(param.from), at).toBe(true);
        for (const id of param.from) {
          expect(id, at).toMatch(/^[RU]\d\d$/);
          expect(param.source, at).toContain(id);
        }
        // A value read off or fitted to measurements names at least one; a pure assumption may name none.
        if (!param.source.startsWith('assumption: ')) expect(param.from.length, at).toBeGreaterThan(0);
        // The measurement a source starts with is one it was set from.
        const first = /^([RU]\d\d)\b/.exec(param.source)?.[1];
        if (first) expect(param.from, at).toContain(first);
      }
    }
    // The fitted ones are the parameters docs/model.md lists as fitted.
    const fitted = Object.entries(getCostProfile('intel-icelake-sp').params)
      .filter(([, q]) => q.source.startsWith('fitted: '))
      .map(([n, q]) => `${n} <- ${q.from.join(', ')}`)
      .sort();
    expect(fitted).toEqual([
      'dmaIommuMapOverhead <- R02',
      'dmaIommuUnmapOverhead <- R02',
      'swiotlbCopy <- R28',
      'vfioPinPage <- R14',
      'vfioUnpinPage <- R14',
      'viommuRequest <- R14',
    ]);
  });

  it('puts a VT-d invalidation (2 descriptors + wait) at U07 ≈ 2548 cycles', () => {
    const m = new CostModel(getCostProfile('intel-icelake-sp'));
    const ns = 2 * m.ns.invDescriptor + m.ns.invProcess + m.ns.invWait;
    expect(m.cycles(ns)).toBeGreaterThan(2548 * 0.95);
    expect(m.cycles(ns)).toBeLessThan(2548 * 1.05);
  });
});

describe('the Arm Grace profile', () => {
  it('puts a lone CMD_SYNC (one command, one wait) at U05: 240–250 ns with the queue in local memory', () => {
    const m = new CostModel(getCostProfile('arm-neoverse-grace'));
    const ns = m.ns.invDescriptor + m.ns.invProcess + m.ns.invWait;
    expect(ns).toBeGreaterThanOrEqual(240);
    expect(ns).toBeLessThanOrEqual(250);
    expect(getCostProfile('arm-neoverse-grace').unit).toBe('smmu');
  });
});

describe('CostModel', () => {
  it('turns counter deltas into ns and charges a CPU by category', () => {
    const m = new CostModel(getCostProfile('intel-icelake-sp'));
    const hw = new HwCounters();
    const snap = new HwSnapshot().take(hw);
    hw.c[HW_PTE_WRITES] = 3;
    hw.c[HW_TABLE_PAGES_ALLOCATED] = 1;
    hw.c[HW_INV_DESCRIPTORS] = 2;
    hw.c[HW_INV_WAITS] = 1;
    hw.c[HW_WALK_MEM_READS] = 4;
    expect(m.pageTableNs(snap, hw)).toBeCloseTo(2 * 1.2 + 300);
    const inv = m.invalidationNs(snap, hw, newInvalidationCost());
    expect(inv.submitNs).toBeCloseTo((2 * 120) / 2.3);
    expect(inv.waitNs).toBeCloseTo(1963 / 2.3);
    expect(m.translationNs(snap, hw)).toBeCloseTo(4 * 197);
    const cpu = new SimCpu(0);
    m.charge(cpu, 2, 100);
    expect(cpu.nowNs).toBe(100);
    expect(m.breakdown().pageTable).toBe(100);
  });

  it("prices an SMMUv3 TLBI's completion as hardware time apart from invProcess (invTlbiSync)", () => {
    const m = new CostModel(getCostProfile('arm-neoverse-grace'));
    const hw = new HwCounters();
    const snap = new HwSnapshot().take(hw);
    // A strict 4 KiB unmap: TLBI_EL2_VA + CMD_SYNC, one TLBI the sync waits for.
    hw.c[HW_INV_DESCRIPTORS] = 2;
    hw.c[HW_INV_WAITS] = 1;
    hw.c[HW_TLB_INVALIDATIONS] = 1;
    const inv = m.invalidationNs(snap, hw, newInvalidationCost());
    expect(inv.processNs).toBeCloseTo(2 * 200 + 490);
    // VT-d counts no TLBIs, and its profile charges nothing for them.
    expect(new CostModel(getCostProfile('intel-icelake-sp')).ns.invTlbiSync).toBe(0);
  });
});
