// SPDX-License-Identifier: Apache-2.0
// simulateWith's full-mode hints (VariantBackend.prefetchIo): each placed VM's runs, told as it is
// placed, are exactly the runs planIoRuns plans after placement, in the same order — so a backend
// that starts the hinted runs early runs every run once.
import { describe, expect, it } from 'vitest';
import { SCENARIO_FILE, testScenario } from '../../test/scenario';
import type { Scenario } from '../scenario/schema';
import type { IoRun, RunFigures } from './io-figures';
import { PLACE_MANY_STEPS, type PlaceResult, type Placer, policyPlacer } from './placement-run';
import { type SimBackend, simulateWith } from './simulate';

const scenario: Scenario = testScenario({
  duration: '10us',
  template: '../hosts/gpu-node-8.yaml',
  hosts: 3,
  vms: 60,
  meanLifetime: '1h',
  shapes: [
    {
      name: 'g',
      vcpus: 2,
      memoryGiB: 4,
      devices: [{ class: 'gpu' }],
      io: [{ device: 'gpu' }, { device: 'nvme', via: 'host' }, { device: 'nvme', via: 'host' }],
    },
    { name: 's', vcpus: 2, memoryGiB: 4, io: [{ device: 'nvme', via: 'host', options: { qd: 8 } }] },
  ],
  variants: [{ name: 'pt', baseline: true, cmdline: 'iommu=pt' }],
});

const FIGURES: RunFigures = {
  iops: 1,
  gbps: 1,
  latencyP50Ns: 1,
  latencyP99Ns: 1,
  cpuNsPerIo: 1,
  iotlbHitRate: 1,
  pageTableBytes: 1,
  faults: 0,
};

describe('simulateWith --full hints', () => {
  it('tells each placed VM its runs as it is placed: together, the final plan in its order', async () => {
    const hinted: IoRun[] = [];
    let final: readonly IoRun[] = [];
    const backend: SimBackend = {
      start: async (_v, _t, hosts) => ({
        placer: policyPlacer(hosts),
        runIo: () => FIGURES,
        runIoMany: async (runs) => {
          final = runs;
          return runs.map(() => FIGURES);
        },
        prefetchIo: (runs) => hinted.push(...runs),
        stop: () => undefined,
      }),
    };
    const r = await simulateWith(scenario, SCENARIO_FILE, { plugins: new Map(), full: true }, backend, 'test');
    expect(r.variants[0]!.placement.placed).toBeGreaterThan(10);
    expect(final.length).toBeGreaterThan(10);
    expect(hinted).toEqual(final);
    // Host-served runs go round the host's NVMe drives: the turn carried from VM to VM matters.
    expect(new Set(final.filter((x) => x.mode === 'booted').map((x) => x.device)).size).toBeGreaterThan(1);
  });

  it('gives no hints without --full (one representative run per template and spec)', async () => {
    let hints = 0;
    const backend: SimBackend = {
      start: async (_v, _t, hosts) => ({
        placer: policyPlacer(hosts),
        runIo: () => FIGURES,
        prefetchIo: () => {
          hints++;
        },
        stop: () => undefined,
      }),
    };
    await simulateWith(scenario, SCENARIO_FILE, { plugins: new Map() }, backend, 'test');
    expect(hints).toBe(0);
  });

  it('a placer taking stretches of the timeline (placeMany) gives the placements and hints of one event at a time', async () => {
    const big: Scenario = { ...scenario, workload: { ...scenario.workload, vms: 400 } as Scenario['workload'] };
    const run = async (stepped: boolean) => {
      const hinted: IoRun[] = [];
      let calls = 0;
      const backend: SimBackend = {
        start: async (_v, _t, hosts) => {
          const p = policyPlacer(hosts);
          const placer: Placer = stepped
            ? {
                place: () => {
                  throw new Error('placeMany only');
                },
                release: () => {
                  throw new Error('placeMany only');
                },
                // Applied when called (calls overlap: the contract is the order they are made in).
                placeMany: (steps) => {
                  calls++;
                  const out: PlaceResult[] = [];
                  for (const st of steps) {
                    if ('vm' in st) out.push(p.place(st.vm) as PlaceResult);
                    else void p.release(st.release);
                  }
                  return Promise.resolve(out);
                },
              }
            : p;
          return {
            placer,
            runIo: () => FIGURES,
            runIoMany: async (runs) => runs.map(() => FIGURES),
            prefetchIo: (runs) => hinted.push(...runs),
            stop: () => undefined,
          };
        },
      };
      const r = await simulateWith(big, SCENARIO_FILE, { plugins: new Map(), full: true }, backend, 'test');
      return { r, hinted, calls };
    };
    const one = await run(false);
    const many = await run(true);
    expect(many.calls).toBe(Math.ceil(800 / PLACE_MANY_STEPS));
    expect(one.r.variants[0]!.placement.rejected).toBeGreaterThan(0);
    expect(many.r.variants[0]!.placement).toEqual(one.r.variants[0]!.placement);
    expect(many.r.assignments).toEqual(one.r.assignments);
    expect(many.hinted).toEqual(one.hinted);
  });
});
