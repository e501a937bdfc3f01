// SPDX-License-Identifier: Apache-2.0
// Regression guard for the policy's speed-ups (issue #19): a long trace of decisions (places and
// releases on loaded fleets, pack and spread, a small candidate limit, hosts down, anti-affinity,
// accepted IOMMU modes, device-less VMs) must give exactly the decisions the policy gave before
// its indexes existed — host, NUMA node, devices, score, examined, feasible and every rejection
// counted by reason, in order. The digests were recorded from the policy of main at 77491cb
// (before the indexes); a change in any decision changes them.

import { mulberry32 } from '@iofleet/prng';
import { describe, expect, it } from 'vitest';
import { randomHost, randomVm } from '../test/fleet-gen';
import { syntheticHost, syntheticVm } from './bench';
import { FleetState } from './fleet-state';
import { DEFAULT_POLICY, type PlacementHost, type PolicyOptions, type VmRequest } from './model';
import { PlacementPolicy } from './policy';

function fnv(h: number, s: string): number {
  let x = h;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 16777619) >>> 0;
  return x;
}

function trace(seed: number, hostCount: number, vmCount: number, opts: PolicyOptions, uniform = false): string {
  const rand = mulberry32(seed);
  const hosts: PlacementHost[] = [];
  for (let i = 0; i < hostCount; i++)
    hosts.push(
      i % 7 === 3
        ? randomHost(rand, `r${i}`)
        : {
            ...syntheticHost(i),
            numaNodes: syntheticHost(i).numaNodes.map((n) => ({ ...n, cpus: 16, memoryMiB: 65536 })),
          },
    );
  const state = new FleetState(hosts);
  const policy = new PlacementPolicy(state, opts);
  const live: string[] = [];
  let h = 2166136261;
  let placed = 0;
  for (let i = 0; i < vmCount; i++) {
    const r = rand();
    if (r < (uniform ? 0.002 : 0.03)) state.setDown(hosts[Math.floor(rand() * hostCount)]!.id, rand() < 0.7);
    if (r > (uniform ? 0.85 : 0.75) && live.length > 0) {
      const k = Math.floor(rand() * live.length);
      policy.release(live[k]!);
      live[k] = live[live.length - 1]!;
      live.pop();
    }
    let vm: VmRequest = !uniform && i % 5 === 0 ? randomVm(rand, `v${i}`) : syntheticVm(i, rand);
    const x = rand();
    if (x < (uniform ? 0.01 : 0.05)) vm = { ...vm, antiAffinityGroup: `g${i % 3}` };
    else if (x < (uniform ? 0.02 : 0.08)) vm = { ...vm, acceptableModes: ['strict', 'pt'] };
    const d = policy.place(vm);
    if (d.placed) {
      placed++;
      live.push(vm.id);
    }
    h = fnv(h, JSON.stringify(d));
  }
  return `${placed}:${h.toString(16)}`;
}

describe('decision trace', () => {
  it('gives the same decisions as the policy before its indexes (pack)', () => {
    expect(trace(1, 700, 6000, DEFAULT_POLICY)).toBe('3954:4b75c9c3');
  });
  it('gives the same decisions with spread and a small candidate limit', () => {
    expect(trace(2, 900, 6000, { ...DEFAULT_POLICY, strategy: 'spread', maxCandidates: 150 })).toBe('4608:642dcc15');
  });
  it('gives the same decisions with pack and a small candidate limit', () => {
    expect(trace(3, 1000, 8000, { ...DEFAULT_POLICY, maxCandidates: 200, maxFeasible: 4 })).toBe('3427:1ad196fe');
  });
  it('gives the same decisions on a uniform, full fleet (whole blocks of hosts rejected at once)', () => {
    expect(trace(4, 1500, 12000, DEFAULT_POLICY, true)).toBe('7266:82b47cf9');
    expect(trace(5, 1300, 12000, { ...DEFAULT_POLICY, strategy: 'spread', maxCandidates: 700 }, true)).toBe(
      '6836:17d8e8c5',
    );
  });
});
