// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { SimCpu } from '../sim/sim-cpu';
import {
  HW_INV_DESCRIPTORS,
  HW_INV_WAITS,
  HW_PTE_WRITES,
  HW_TABLE_PAGES_ALLOCATED,
  HW_WALK_MEM_READS,
  HwCounters,
} from '../stats/hw-counters';
import { CostModel, HwSnapshot, newInvalidationCost } from './cost-model';
import { COST_PROFILES, getCostProfile } from './cost-profile';

describe('cost profiles', () => {
  it('give every parameter a source: a measurement row id or a stated assumption', () => {
    const rows = /^(U\d\d|R\d\d)\b/;
    for (const p of COST_PROFILES) {
      for (const [name, param] of Object.entries(p.params)) {
        expect(rows.test(param.source) || param.source.startsWith('assumption: '), `${p.name}.${name}`).toBe(true);
        expect(param.value).toBeGreaterThanOrEqual(0);
      }
    }
    expect(() => getCostProfile('no-such-cpu')).toThrow(/unknown cost profile/);
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
});
