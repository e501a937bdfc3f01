// SPDX-License-Identifier: Apache-2.0

import { mulberry32 } from '@iofleet/prng';
import { describe, expect, it } from 'vitest';
import { feasible, violation } from '../test/brute-force';
import { randomHost, randomVm } from '../test/fleet-gen';
import { FleetState } from './fleet-state';
import type { PlacementDevice, PlacementHost, VmRequest } from './model';
import { evaluateHost, PlacementPolicy } from './policy';

const dev = (id: string, cls: string, group: number, extra: Partial<PlacementDevice> = {}): PlacementDevice => ({
  id,
  vendor: '10de',
  product: 'x',
  deviceClass: cls,
  numaNode: 0,
  pcieRoot: '00:01.0',
  iommuGroup: group,
  healthy: true,
  ...extra,
});
const host = (id: string, devices: PlacementDevice[], extra: Partial<PlacementHost> = {}): PlacementHost => ({
  id,
  numaNodes: [
    { id: 0, socket: 0, cpus: 16, memoryMiB: 65536 },
    { id: 1, socket: 1, cpus: 16, memoryMiB: 65536 },
  ],
  devices,
  iommuMode: 'lazy',
  ...extra,
});
const vm = (id: string, devices: VmRequest['devices'], extra: Partial<VmRequest> = {}): VmRequest => ({
  id,
  vcpus: 4,
  memoryMiB: 8192,
  devices,
  numaPolicy: 'none',
  ...extra,
});
const gpu = [{ alias: 'gpu', deviceClass: 'gpu', count: 1 }];

describe('placement policy', () => {
  it('never places on a host marked down, with that reason, and places there again once it is up', () => {
    const s = new FleetState([host('h1', [dev('g1', 'gpu', 1)]), host('h2', [dev('g2', 'gpu', 2)])]);
    const p = new PlacementPolicy(s);
    expect(s.setDown('h1', true)).toBe(true);
    expect(p.place(vm('a', gpu)).assignment?.hostId).toBe('h2');
    const d = p.place(vm('b', gpu));
    expect(d.placed).toBe(false);
    expect(d.rejections['host-down']).toBe(1);
    s.setDown('h1', false);
    expect(p.place(vm('c', gpu)).assignment?.hostId).toBe('h1');
    expect(s.setDown('nope', true)).toBe(false);
  });

  it('assigns a GPU together with the audio function of its IOMMU group', () => {
    const p = new PlacementPolicy(new FleetState([host('h', [dev('g', 'gpu', 1), dev('a', 'audio', 1)])]));
    const d = p.place(vm('v', gpu));
    expect(d.placed).toBe(true);
    expect(d.assignment!.deviceIds.sort()).toEqual(['a', 'g']);
  });

  it('rejects a host whose GPU group holds a busy or host-bound companion, with that reason', () => {
    const s = new FleetState([host('h', [dev('g', 'gpu', 1), dev('a', 'audio', 1, { hostBound: true })])]);
    const d = new PlacementPolicy(s).place(vm('v', gpu));
    expect(d.placed).toBe(false);
    expect(d.reason).toBe('group-not-viable');
    expect(d.rejections['group-not-viable']).toBe(1);
  });

  it('never gives one device to two VMs and explains rejections by reason', () => {
    const s = new FleetState([
      host('h1', [dev('g1', 'gpu', 1)]),
      host('h2', [dev('g2', 'gpu', 1)], { iommuMode: 'off' }),
    ]);
    const p = new PlacementPolicy(s);
    expect(p.place(vm('a', gpu)).assignment!.deviceIds).toEqual(['g1']);
    const d = p.place(vm('b', gpu));
    expect(d.placed).toBe(false);
    expect(d.rejections).toEqual({ 'iommu-off': 1, 'no-matching-device': 1 });
  });

  it('honours SR-IOV physical-or-virtual-function exclusivity', () => {
    const pf = dev('pf', 'nic', 1, { hasVfs: true });
    const vf = dev('vf0', 'nic', 2, { physfn: 'pf' });
    const p = new PlacementPolicy(new FleetState([host('h', [pf, vf])]));
    expect(
      p.place(vm('a', [{ alias: 'n', deviceClass: 'nic', count: 1, allowVf: true }])).assignment!.deviceIds,
    ).toEqual(['pf']);
    const d = p.place(vm('b', [{ alias: 'n', deviceClass: 'nic', count: 1, allowVf: true }]));
    expect(d.placed).toBe(false);
    expect(d.reason).toBe('pf-vf-exclusive');
  });

  it('applies the NUMA policy: required rejects remote devices, preferred accepts them', () => {
    const s = () =>
      new FleetState([
        host('h', [dev('g', 'gpu', 1, { numaNode: 1 })], {
          numaNodes: [
            { id: 0, socket: 0, cpus: 16, memoryMiB: 65536 },
            { id: 1, socket: 1, cpus: 2, memoryMiB: 65536 },
          ],
        }),
      ]);
    expect(new PlacementPolicy(s()).place(vm('a', gpu, { numaPolicy: 'required' })).reason).toBe('numa');
    const d = new PlacementPolicy(s()).place(vm('a', gpu, { numaPolicy: 'preferred' }));
    expect(d.placed).toBe(true);
    expect(d.assignment!.numaNode).toBe(0);
  });

  it('co-locates a GPU and a NIC under one PCIe root', () => {
    const devices = [
      dev('g', 'gpu', 1, { pcieRoot: 'A' }),
      dev('n1', 'nic', 2, { pcieRoot: 'B' }),
      dev('n2', 'nic', 3, { pcieRoot: 'A' }),
    ];
    const req = vm('a', [...gpu, { alias: 'nic', deviceClass: 'nic', count: 1 }], { colocate: [['gpu', 'nic']] });
    const d = new PlacementPolicy(new FleetState([host('h', devices)])).place(req);
    expect(d.assignment!.byAlias.nic).toEqual(['n2']);
  });

  it('keeps anti-affinity groups apart and bounds the candidates it examines', () => {
    const s = new FleetState([host('h1', []), host('h2', [])]);
    const p = new PlacementPolicy(s, { ...new PlacementPolicy(s).opts, maxCandidates: 1, maxFeasible: 1 });
    expect(p.place(vm('a', [], { antiAffinityGroup: 'x' })).assignment!.hostId).toBe('h1');
    const d = p.place(vm('b', [], { antiAffinityGroup: 'x' }));
    expect(d.placed).toBe(false);
    expect(d.examined).toBe(1);
    expect(d.reason).toBe('candidate-limit');
  });
});

describe('placement policy against a brute-force search (random small fleets)', () => {
  it('places only valid assignments and rejects only when no valid host exists', () => {
    const rand = mulberry32(20261125);
    let placed = 0;
    let rejected = 0;
    for (let fleetNo = 0; fleetNo < 40; fleetNo++) {
      const state = new FleetState(
        Array.from({ length: 1 + Math.floor(rand() * 4) }, (_, i) => randomHost(rand, `f${fleetNo}h${i}`)),
      );
      const policy = new PlacementPolicy(state);
      for (let k = 0; k < 25; k++) {
        const req = randomVm(rand, `f${fleetNo}v${k}`);
        const before = state.hosts.map((e) => feasible(e, req));
        // Per host, the policy's filters agree with exhaustive search.
        expect(state.hosts.map((e) => evaluateHost(e, req).ok)).toEqual(before);
        const d = policy.decide(req);
        if (d.placed) {
          const a = d.assignment!;
          expect(violation(state.host(a.hostId)!, req, a.numaNode, a.byAlias, a.deviceIds)).toBeUndefined();
          state.commit(req, a);
          placed++;
        } else {
          expect(before).not.toContain(true);
          rejected++;
        }
      }
    }
    expect(placed).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(20);
  });
});

describe('fleet state sync', () => {
  it('takes devices reserved elsewhere out of placement and gives back freed ones', () => {
    const s = new FleetState([host('h', [dev('g1', 'gpu', 1), dev('g2', 'gpu', 2)])]);
    s.syncDeviceOwners('h', { g1: 'other-vm', g2: 'other-vm' });
    const p = new PlacementPolicy(s);
    expect(p.decide(vm('a', gpu)).placed).toBe(false);
    s.syncDeviceOwners('h', { g1: 'other-vm' });
    expect(p.place(vm('a', gpu)).assignment!.deviceIds).toEqual(['g2']);
  });
});
