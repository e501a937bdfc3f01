// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Scenario, scenarioSchema } from '../scenario/schema';
import { generateArrivals } from './arrivals';
import { applyVariant, bootVariant, fleetHosts, loadTemplates } from './fleet';
import { runPlacement } from './placement-run';
import { simulateScenario } from './simulate';

const EXAMPLES = join(__dirname, '..', '..', '..', '..', 'examples');
const FILE = join(EXAMPLES, 'scenarios', 'test.yaml'); // templates resolve against examples/scenarios

const scenario = (over: Record<string, unknown> = {}): Scenario =>
  scenarioSchema.parse({
    name: 't',
    fleet: [{ template: '../hosts/gpu-node-8.yaml', count: 2 }],
    workload: {
      kind: 'poisson',
      vms: 400,
      ratePerHour: 100,
      meanLifetime: '1000h',
      shapes: [{ name: 'g', vcpus: 2, memoryGiB: 4, devices: [{ class: 'gpu' }] }],
    },
    variants: [
      { name: 'hw', baseline: true },
      { name: 'override', groupIsolation: 'override' },
    ],
    ...over,
  });

describe('arrivals', () => {
  it('are a seeded Poisson process: increasing times at the given rate, the same for the same seed', () => {
    const s = scenario();
    const a = generateArrivals(s, FILE);
    expect(a).toHaveLength(400);
    for (let i = 1; i < a.length; i++) expect(a[i]!.arriveS).toBeGreaterThan(a[i - 1]!.arriveS);
    const meanGap = a.at(-1)!.arriveS / a.length;
    expect(meanGap).toBeGreaterThan(36 * 0.85);
    expect(meanGap).toBeLessThan(36 * 1.15);
    expect(generateArrivals(s, FILE).map((x) => x.departS)).toEqual(a.map((x) => x.departS));
    expect(generateArrivals({ ...s, seed: 2 }, FILE)[0]!.arriveS).not.toBe(a[0]!.arriveS);
  });

  it('replay the Alibaba trace: CPUs, memory, whole GPUs, creation and deletion times', () => {
    const s = scenario({
      workload: {
        kind: 'alibaba-gpu-v2023',
        pods: '../traces/alibaba-gpu-v2023/openb_pod_list_default.csv',
        limit: 20,
      },
    });
    const a = generateArrivals(s, FILE);
    expect(a).toHaveLength(20);
    expect(a[0]!.vm).toMatchObject({
      id: 'openb-pod-0000',
      vcpus: 12,
      memoryMiB: 16384,
      devices: [{ deviceClass: 'gpu', count: 1 }],
    });
    expect(a[0]!.departS).toBe(12537496);
  });
});

describe('variants and placement over the fleet', () => {
  it('applies hardware deltas: IOTLB size, superpages, ACS override', () => {
    const [t] = loadTemplates(scenario(), FILE);
    const d = applyVariant(t!.desc, {
      name: 'x',
      baseline: false,
      iotlbEntries: 64,
      superpages: false,
      groupIsolation: 'override',
    });
    expect(d.iommu.iotlb.entries).toBe(64);
    expect(d.iommu.superpages).toEqual([]);
    expect(d.pci.every((n) => n.acs === true)).toBe(true);
    expect(t!.desc.pci.some((n) => n.acs === false)).toBe(true); // the template itself is untouched
  });

  it('counts GPUs a VM holds only because of its IOMMU group, and rejects when groups run out', () => {
    const s = scenario();
    const templates = loadTemplates(s, FILE);
    const arrivals = generateArrivals(s, FILE).slice(0, 6); // long-lived: all six run at once
    const run = (i: number) =>
      runPlacement(
        fleetHosts(
          templates,
          templates.map((t) => bootVariant(t, s.variants[i]!)),
        ),
        arrivals,
      );
    const hw = run(0);
    // 2 hosts x 2 groups of 4 GPUs: four VMs fit, each holding 3 GPUs it did not ask for.
    expect([hw.placed, hw.rejected]).toEqual([4, 2]);
    expect(hw.devicesStranded).toBeGreaterThan(0);
    const ov = run(1);
    expect([ov.placed, ov.rejected, ov.devicesStranded]).toEqual([6, 0, 0]);
  });
});

describe('scenario checks against the fleet', () => {
  it('rejects device classes no host of the fleet has, naming each place', () => {
    const s = scenario();
    if (s.workload.kind !== 'poisson') throw new Error('poisson expected');
    s.workload.shapes[0]!.devices[0]!.class = 'gpuu';
    s.workload.shapes[0]!.io.push({ device: 'nvmee', via: 'host', options: {} });
    expect(() => simulateScenario(s, FILE, { plugins: new Map() })).toThrow(
      /test\.yaml: workload\.shapes\[0\]\.devices\[0\]\.class: no host of the fleet has a device of class 'gpuu' \(classes: .*gpu.*\)\n.*workload\.shapes\[0\]\.io\[0\]\.device: .*'nvmee'/,
    );
  });
});
