// SPDX-License-Identifier: Apache-2.0
// What --full's reuse of runs rests on: a device I/O run is a function of its ioRunKey (and the
// variant). Each distinct run of a small --full scenario is run twice, from fresh hosts, in
// different orders; the figures must be equal to the bit.
import { BUILTIN_PLUGINS } from '@iofleet/plugin-registry';
import { describe, expect, it } from 'vitest';
import { SCENARIO_FILE, testScenario } from '../../test/scenario';
import { generateArrivals } from './arrivals';
import { bootVariant, fleetHosts, loadTemplates } from './fleet';
import { ioRunKey, planIoRuns, runIoEmbedded } from './io-figures';
import { runPlacement } from './placement-run';

describe('device I/O runs', () => {
  it('give the same figures for the same key, whatever ran before', () => {
    const s = testScenario({
      duration: '200us',
      template: '../hosts/gpu-node.yaml',
      hosts: 2,
      vms: 12,
      shapes: [
        { name: 'g', vcpus: 2, memoryGiB: 4, devices: [{ class: 'gpu' }], io: [{ device: 'gpu' }] },
        { name: 'd', vcpus: 2, memoryGiB: 4, io: [{ device: 'nvme', via: 'host' }] },
      ],
      variants: [{ name: 'strict', baseline: true, cmdline: 'iommu=nopt iommu.strict=1' }],
    });
    const plugins = new Map(BUILTIN_PLUGINS.map((p) => [p.name, p]));
    const v = s.variants[0]!;
    const templates = loadTemplates(s, SCENARIO_FILE);
    const arrivals = generateArrivals(s, SCENARIO_FILE);
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
