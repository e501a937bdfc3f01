// SPDX-License-Identifier: Apache-2.0

import { describe, expect, it } from 'vitest';
import { FleetState } from './fleet-state';
import type { PlacementHost, VmRequest } from './model';
import { evaluateHost } from './policy';
import { BLOCK } from './scan-index';

const host = (i: number): PlacementHost => ({
  id: `h${i}`,
  numaNodes: [
    { id: 0, socket: 0, cpus: 16, memoryMiB: 65536 },
    { id: 1, socket: 1, cpus: 16, memoryMiB: 65536 },
  ],
  devices: [],
  iommuMode: 'lazy',
});
const vm = (id: string, vcpus: number, memoryMiB: number): VmRequest => ({
  id,
  vcpus,
  memoryMiB,
  devices: [],
  numaPolicy: 'none',
});

/** What evaluateHost says of each host of the block, counted by reason in scan order. */
function oracle(state: FleetState, from: number, probe: VmRequest): Record<string, number> {
  const out: Record<string, number> = {};
  for (let h = from; h < Math.min(from + BLOCK, state.hosts.length); h++) {
    const v = evaluateHost(state.hosts[h]!, probe);
    if (v.ok) return { feasible: 1 };
    out[v.reason!] = (out[v.reason!] ?? 0) + 1;
  }
  return out;
}

describe('block summaries', () => {
  it('reject a block at once with the reasons evaluateHost gives its hosts, cpu and memory mixed', () => {
    const s = new FleetState(Array.from({ length: BLOCK + 10 }, (_, i) => host(i)));
    // Every node out of memory; node 0 of every third host out of vCPUs too (its reason: cpu).
    for (let h = 0; h < s.hosts.length; h++) {
      const id = s.hosts[h]!.host.id;
      const full0 = h % 3 === 0 ? vm(`a${h}`, 16, 65536) : vm(`a${h}`, 2, 65536);
      s.commit(full0, { vmId: full0.id, hostId: id, numaNode: 0, deviceIds: [], byAlias: {} });
      const full1 = vm(`b${h}`, 1, 65536);
      s.commit(full1, { vmId: full1.id, hostId: id, numaNode: 1, deviceIds: [], byAlias: {} });
    }
    const probe = vm('p', 4, 4096);
    const want = oracle(s, 0, probe);
    expect(want.cpu).toBeGreaterThan(0);
    expect(want.memory).toBeGreaterThan(0);
    const got: Record<string, number> = {};
    expect(s.hostScan.skip(0, probe.vcpus, probe.memoryMiB, got)).toBe(BLOCK);
    expect(got).toEqual(want);
    // The last, partial block: its own length.
    const tail: Record<string, number> = {};
    expect(s.hostScan.skip(BLOCK, probe.vcpus, probe.memoryMiB, tail)).toBe(10);
    expect(tail).toEqual(oracle(s, BLOCK, probe));
  });

  it('do not skip a block once one of its hosts has room again, or is down', () => {
    const s = new FleetState(Array.from({ length: BLOCK }, (_, i) => host(i)));
    for (let h = 0; h < BLOCK; h++)
      for (const node of [0, 1]) {
        const v = vm(`v${h}-${node}`, 16, 1024);
        s.commit(v, { vmId: v.id, hostId: `h${h}`, numaNode: node, deviceIds: [], byAlias: {} });
      }
    const probe = vm('p', 4, 4096);
    expect(s.hostScan.skip(0, 4, 4096, {})).toBe(BLOCK);
    s.release('v17-1');
    expect(oracle(s, 0, probe)).toEqual({ feasible: 1 });
    expect(s.hostScan.skip(0, 4, 4096, {})).toBe(0);
    const v = vm('again', 16, 1024);
    s.commit(v, { vmId: v.id, hostId: 'h17', numaNode: 1, deviceIds: [], byAlias: {} });
    expect(s.hostScan.skip(0, 4, 4096, {})).toBe(BLOCK);
    s.setDown('h5', true);
    expect(s.hostScan.skip(0, 4, 4096, {})).toBe(0);
  });
});
