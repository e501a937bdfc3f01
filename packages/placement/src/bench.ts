// SPDX-License-Identifier: Apache-2.0
// Throughput of the placement policy alone (no Redis, no RPC): the `purePlacementsPerSec` figure
// of `iofleet bench placement`. Synthetic fleet: hosts with two NUMA nodes, GPUs with audio
// companions, NICs with SR-IOV, NVMe drives; VMs ask for mixes of them.

import { mulberry32 } from '@iofleet/prng';
import { FleetState } from './fleet-state';
import type { PlacementDevice, PlacementHost, VmRequest } from './model';
import { PlacementPolicy } from './policy';

export function syntheticHost(i: number): PlacementHost {
  const devices: PlacementDevice[] = [];
  let group = 0;
  for (let n = 0; n < 2; n++) {
    for (let g = 0; g < 2; g++) {
      const root = `h${i}-r${n}${g}`;
      devices.push({
        id: `h${i}-gpu${n}${g}`,
        vendor: '10de',
        product: '2236',
        deviceClass: 'gpu',
        numaNode: n,
        pcieRoot: root,
        iommuGroup: group,
        healthy: true,
      });
      devices.push({
        id: `h${i}-aud${n}${g}`,
        vendor: '10de',
        product: '1aef',
        deviceClass: 'audio',
        numaNode: n,
        pcieRoot: root,
        iommuGroup: group++,
        healthy: true,
      });
      devices.push({
        id: `h${i}-nvme${n}${g}`,
        vendor: '144d',
        product: 'a824',
        deviceClass: 'nvme',
        numaNode: n,
        pcieRoot: root,
        iommuGroup: group++,
        healthy: true,
      });
    }
    devices.push({
      id: `h${i}-nic${n}`,
      vendor: '8086',
      product: '1592',
      deviceClass: 'nic',
      numaNode: n,
      pcieRoot: `h${i}-r${n}0`,
      iommuGroup: group++,
      healthy: true,
    });
  }
  return {
    id: `host-${i}`,
    numaNodes: [
      { id: 0, socket: 0, cpus: 64, memoryMiB: 262144 },
      { id: 1, socket: 1, cpus: 64, memoryMiB: 262144 },
    ],
    devices,
    iommuMode: 'lazy',
  };
}

export function syntheticVm(i: number, rand: () => number): VmRequest {
  const r = rand();
  const devices =
    r < 0.4
      ? [{ alias: 'gpu', deviceClass: 'gpu', count: 1 + (rand() < 0.3 ? 1 : 0) }]
      : r < 0.7
        ? [{ alias: 'nvme', deviceClass: 'nvme', count: 1 }]
        : r < 0.85
          ? [
              { alias: 'gpu', deviceClass: 'gpu', count: 1 },
              { alias: 'nvme', deviceClass: 'nvme', count: 1 },
            ]
          : [];
  return {
    id: `vm-${i}`,
    vcpus: 4 + Math.floor(rand() * 12),
    memoryMiB: 8192 * (1 + Math.floor(rand() * 4)),
    devices,
    numaPolicy: rand() < 0.5 ? 'preferred' : 'none',
    colocate: devices.length === 2 ? [['gpu', 'nvme']] : undefined,
  };
}

export interface PurePlacementBench {
  hosts: number;
  vms: number;
  placed: number;
  rejected: number;
  wallSeconds: number;
  purePlacementsPerSec: number;
  doubleAssignedDevices: number;
}

export function benchPurePlacement(hosts: number, vms: number, seed = 1): PurePlacementBench {
  const state = new FleetState(Array.from({ length: hosts }, (_, i) => syntheticHost(i)));
  const policy = new PlacementPolicy(state);
  const rand = mulberry32(seed);
  const requests = Array.from({ length: vms }, (_, i) => syntheticVm(i, rand));
  let placed = 0;
  const t0 = process.hrtime.bigint();
  for (const vm of requests) if (policy.place(vm).placed) placed++;
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const owners = new Map<string, string>();
  let doubleAssignedDevices = 0;
  for (const a of state.assignments.values()) {
    for (const d of a.deviceIds) {
      const key = `${a.hostId}/${d}`;
      if (owners.has(key)) doubleAssignedDevices++;
      owners.set(key, a.vmId);
    }
  }
  return {
    hosts,
    vms,
    placed,
    rejected: vms - placed,
    wallSeconds,
    purePlacementsPerSec: vms / wallSeconds,
    doubleAssignedDevices,
  };
}
