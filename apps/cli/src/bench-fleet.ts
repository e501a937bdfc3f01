// SPDX-License-Identifier: Apache-2.0
// `iofleet bench fleet`: the wall time of an embedded what-if at scale — `hosts` GPU nodes,
// `vms` VMs (Poisson arrivals loading the fleet), three variants (pt, lazy, strict), with device
// I/O — the figure DESIGN.md targets (10,000 hosts in about a minute on two cores).
import { join } from 'node:path';
import { type Scenario, scenarioSchema, simulateScenario } from '@iofleet/whatif';
import { EXAMPLE_SCENARIOS_DIR } from './paths';
import { pluginRegistry } from './plugins';

export interface FleetBenchResult {
  hosts: number;
  vms: number;
  variants: number;
  placed: number;
  rejected: number;
  wallSeconds: number;
  placementsPerSec: number;
  /** --full: every placed VM's device I/O. */
  full: boolean;
  /** VM device I/O runs the what-if needed (all variants); with --full one per placed VM and I/O spec. */
  ioRuns: number;
  /** Of those, runs actually simulated: identical runs (same template, device, plugin, options, mode) are simulated once per variant. */
  ioRunsExecuted: number;
  /** ioRuns / wallSeconds. */
  vmIoRunsPerSec: number;
  /** Peak resident set of this process (process.resourceUsage().maxRSS), MiB. */
  peakRssMiB: number;
}

export function benchFleet(
  hosts: number,
  vms: number,
  full: boolean,
  onProgress?: (variant: string, phase: string, done: number, total: number) => void,
): FleetBenchResult {
  const s: Scenario = scenarioSchema.parse({
    name: 'bench-fleet',
    seed: 1,
    duration: '2ms',
    fleet: [{ template: '../hosts/gpu-node.yaml', count: hosts }],
    workload: {
      kind: 'poisson',
      vms,
      // Arrivals and lifetimes chosen so about as many VMs run at once as the fleet has GPUs.
      ratePerHour: vms / 24,
      meanLifetime: `${Math.max(1, Math.round((hosts * 4 * 24) / vms))}h`,
      shapes: [
        {
          name: 'gpu',
          weight: 3,
          vcpus: 8,
          memoryGiB: 64,
          devices: [{ class: 'gpu' }],
          io: [{ device: 'gpu' }, { device: 'nvme', via: 'host' }],
        },
        { name: 'disk', weight: 1, vcpus: 4, memoryGiB: 16, io: [{ device: 'nvme', via: 'host' }] },
      ],
    },
    variants: [
      { name: 'pt', baseline: true, cmdline: 'iommu=pt' },
      { name: 'lazy', cmdline: 'iommu=nopt iommu.strict=0' },
      { name: 'strict', cmdline: 'iommu=nopt iommu.strict=1' },
    ],
  });
  const stats = { ioRuns: 0, ioRunsExecuted: 0 };
  const t0 = performance.now();
  const r = simulateScenario(s, join(EXAMPLE_SCENARIOS_DIR, 'bench-fleet.yaml'), {
    plugins: pluginRegistry(),
    full,
    stats,
    ...(onProgress && { onProgress }),
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const placed = r.variants.reduce((a, v) => a + v.placement.placed, 0);
  const rejected = r.variants.reduce((a, v) => a + v.placement.rejected, 0);
  return {
    hosts,
    vms,
    variants: r.variants.length,
    placed,
    rejected,
    wallSeconds,
    placementsPerSec: (placed + rejected) / wallSeconds,
    full,
    ...stats,
    vmIoRunsPerSec: stats.ioRuns / wallSeconds,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}
