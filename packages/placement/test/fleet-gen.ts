// SPDX-License-Identifier: Apache-2.0
// Random fleets and VM requests for property tests and benchmarks (seeded).
import type { PlacementDevice, PlacementHost, VmRequest } from '../src/model';

const CLASSES = ['gpu', 'nic', 'nvme'] as const;

export function randomHost(rand: () => number, id: string, maxGroups = 6): PlacementHost {
  const nodes = rand() < 0.5 ? 1 : 2;
  const numaNodes = Array.from({ length: nodes }, (_, i) => ({ id: i, socket: i, cpus: 32, memoryMiB: 131072 }));
  const devices: PlacementDevice[] = [];
  const groups = 1 + Math.floor(rand() * maxGroups);
  for (let g = 0; g < groups; g++) {
    const cls = CLASSES[Math.floor(rand() * CLASSES.length)]!;
    const numaNode = Math.floor(rand() * nodes);
    const pcieRoot = `r${Math.floor(rand() * 3)}`;
    const n = 1 + (rand() < 0.3 ? 1 : 0);
    for (let k = 0; k < n; k++) {
      devices.push({
        id: `${id}-g${g}-${k}`,
        vendor: 'v',
        product: 'p',
        deviceClass: cls,
        numaNode,
        pcieRoot,
        iommuGroup: g,
        healthy: rand() > 0.05,
        hostBound: rand() < 0.05,
      });
    }
    if (cls === 'gpu' && rand() < 0.5) {
      devices.push({
        id: `${id}-g${g}-audio`,
        vendor: 'v',
        product: 'a',
        deviceClass: 'audio',
        numaNode,
        pcieRoot,
        iommuGroup: g,
        healthy: true,
      });
    }
  }
  return { id, numaNodes, devices, iommuMode: rand() < 0.1 ? 'off' : rand() < 0.5 ? 'pt' : 'lazy' };
}

export function randomVm(rand: () => number, id: string): VmRequest {
  const classes = CLASSES.filter(() => rand() < 0.4);
  const devices = classes.map((c, i) => ({ alias: `${c}${i}`, deviceClass: c, count: 1 + (rand() < 0.3 ? 1 : 0) }));
  const policies = ['required', 'preferred', 'socket', 'none'] as const;
  const colocate = devices.length >= 2 && rand() < 0.3 ? [devices.slice(0, 2).map((d) => d.alias)] : undefined;
  return {
    id,
    vcpus: 1 + Math.floor(rand() * 16),
    memoryMiB: 1024 * (1 + Math.floor(rand() * 32)),
    devices,
    numaPolicy: policies[Math.floor(rand() * 4)]!,
    colocate,
    antiAffinityGroup: rand() < 0.2 ? 'aa' : undefined,
    acceptableModes: rand() < 0.2 ? ['lazy', 'strict'] : undefined,
  };
}
