// SPDX-License-Identifier: Apache-2.0
// What --full's reuse of runs rests on: a device I/O run is a function of its ioRunKey (and the
// variant). Each distinct run of a small --full scenario is run twice, from fresh hosts, in
// different orders; the figures must be equal to the bit.
import { join } from 'node:path';
import { BUILTIN_PLUGINS } from '@iofleet/plugin-registry';
import { describe, expect, it } from 'vitest';
import { scenarioSchema } from '../scenario/schema';
import { generateArrivals } from './arrivals';
import { bootVariant, fleetHosts, loadTemplates } from './fleet';
import { ioRunKey, planIoRuns, runIoEmbedded } from './io-figures';
import { runPlacement } from './placement-run';

const FILE = join(__dirname, '..', '..', '..', '..', 'examples', 'scenarios', 'test.yaml');

describe('device I/O runs', () => {
  it('give the same figures for the same key, whatever ran before', () => {
    const s = scenarioSchema.parse({
      name: 't',
      duration: '200us',
      fleet: [{ template: '../hosts/gpu-node.yaml', count: 2 }],
      workload: {
        kind: 'poisson',
        vms: 12,
        ratePerHour: 100,
        meanLifetime: '1000h',
        shapes: [
          { name: 'g', vcpus: 2, memoryGiB: 4, devices: [{ class: 'gpu' }], io: [{ device: 'gpu' }] },
          { name: 'd', vcpus: 2, memoryGiB: 4, io: [{ device: 'nvme', via: 'host' }] },
        ],
      },
      variants: [{ name: 'strict', baseline: true, cmdline: 'iommu=nopt iommu.strict=1' }],
    });
    const plugins = new Map(BUILTIN_PLUGINS.map((p) => [p.name, p]));
    const v = s.variants[0]!;
    const templates = loadTemplates(s, FILE);
    const arrivals = generateArrivals(s, FILE);
    const placed = runPlacement(fleetHosts(templates, [bootVariant(templates[0]!, v)]), arrivals);
    const runs = planIoRuns(s, v, templates, () => 0, arrivals, placed.assignments, true);
    const distinct = [...new Map(runs.map((r) => [ioRunKey(r), r])).values()];
    expect(distinct.length).toBeGreaterThan(1);
    expect(distinct.length).toBeLessThan(runs.length); // --full repeats runs: what is reused
    const first = distinct.map((r) => runIoEmbedded(s, v, templates, plugins, r));
    const again = [...distinct].reverse().map((r) => runIoEmbedded(s, v, templates, plugins, r));
    expect(again.reverse()).toEqual(first);
    expect(first.some((f) => f.iops > 0)).toBe(true);
  });
});
