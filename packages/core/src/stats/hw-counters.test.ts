// SPDX-License-Identifier: Apache-2.0
// The counter indices and HW_COUNTER_NAMES are two lists kept in step by hand: each HW_<NAME> index
// must name the camelCase of <NAME>, every index 0..HW_COUNTER_COUNT-1 once.
import { describe, expect, it } from 'vitest';
import * as hw from './hw-counters';

const camel = (upper: string) => upper.toLowerCase().replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

const indices = Object.entries(hw as Record<string, unknown>).filter(
  (e): e is [string, number] => /^HW_[A-Z_]+$/.test(e[0]) && e[0] !== 'HW_COUNTER_COUNT' && typeof e[1] === 'number',
);

describe('hardware event counters', () => {
  it('has one index per name, 0..HW_COUNTER_COUNT-1, each naming its counter', () => {
    expect(indices.map(([, i]) => i).sort((a, b) => a - b)).toEqual([...Array(hw.HW_COUNTER_COUNT).keys()]);
    expect(hw.HW_COUNTER_NAMES).toHaveLength(hw.HW_COUNTER_COUNT);
    for (const [name, i] of indices) expect([name, hw.HW_COUNTER_NAMES[i]]).toEqual([name, camel(name.slice(3))]);
  });

  it('snapshots every counter by name, and resets to zero', () => {
    const c = new hw.HwCounters();
    c.c[hw.HW_IOTLB_MISS] = 3;
    c.c[hw.HW_TLB_INVALIDATIONS] = 2;
    const s = c.snapshot();
    expect(Object.keys(s)).toEqual(hw.HW_COUNTER_NAMES);
    expect([s.iotlbMiss, s.tlbInvalidations, s.iotlbHit]).toEqual([3, 2, 0]);
    c.reset();
    expect(Object.values(c.snapshot()).every((v) => v === 0)).toBe(true);
  });
});
