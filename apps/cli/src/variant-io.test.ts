// SPDX-License-Identifier: Apache-2.0
// VariantIo against a fanout that records its jobs: hinted runs go out in jobs of RUNS_PER_JOB as
// they come, one per ioRunKey (as the embedded run runs them); runAll() takes their figures and
// queues only keys that were not hinted; the figures come back in the order of the final list.
import type { IoRun, RunFigures, Template, Variant } from '@iofleet/whatif';
import { describe, expect, it } from 'vitest';
import type { IoFanout } from './io-fanout';
import { RUNS_PER_JOB, VariantIo } from './variant-io';

const run = (t: number, device: string, n = 1): IoRun => ({
  t,
  deviceClass: 'nvme',
  device,
  plugin: 'nvme',
  options: {},
  mode: 'booted',
  n,
});
/** Figures that say which run they came from (the fake worker's "simulation"). */
const figuresOf = (r: IoRun): RunFigures => ({
  iops: r.t * 1000 + Number(r.device.replace(/\D/g, '')),
  gbps: 0,
  latencyP50Ns: 0,
  latencyP99Ns: 0,
  cpuNsPerIo: 0,
  iotlbHitRate: 0,
  pageTableBytes: 0,
  faults: 0,
});

function fakeFanout() {
  const jobs: IoRun[][] = [];
  const fanout = {
    submit: (_v: Variant, _t: Template, runs: readonly IoRun[]) => {
      jobs.push([...runs]);
      return Promise.resolve(runs.map(figuresOf));
    },
    waitForWorkers: () => Promise.resolve(),
  } as unknown as IoFanout;
  return { jobs, fanout };
}

const v = { name: 'pt', baseline: true } as Variant;
const templates = [{ name: 'a' }, { name: 'b' }] as Template[];

describe('VariantIo', () => {
  it('queues hinted runs per template in jobs of RUNS_PER_JOB while placement goes on', () => {
    const { jobs, fanout } = fakeFanout();
    const io = new VariantIo(fanout, v, templates, 1e6);
    for (let i = 0; i < RUNS_PER_JOB * 2 - 1; i++) io.prefetch([run(i % 2, `d${i}`)]);
    // Template 0 got RUNS_PER_JOB hints first; template 1 is one short.
    expect(jobs.length).toBe(1);
    expect(jobs[0]!.every((r) => r.t === 0)).toBe(true);
    expect(jobs[0]!.length).toBe(RUNS_PER_JOB);
  });

  it('runs each key of the final list once, figures in its order, taking hinted runs by key', async () => {
    const { jobs, fanout } = fakeFanout();
    const io = new VariantIo(fanout, v, templates, 1e6);
    const hinted = Array.from({ length: 2 * RUNS_PER_JOB + 3 }, (_, i) => run(i % 2, `d${i % 5}`));
    for (const r of hinted) io.prefetch([r]);
    // The final list: the hints but one (never claimed), and two runs nobody hinted.
    const final = [...hinted.slice(1), run(1, 'd7'), run(0, 'd9')].reverse();
    const figures = await io.runAll(final);
    expect(figures).toEqual(final.map(figuresOf));
    const ran = jobs.flat().map((r) => `${r.t}/${r.device}`);
    // One run per key: the ten hinted keys (templates 0 and 1 by d0..d4) and the two unhinted.
    expect(ran.length).toBe(new Set(ran).size);
    expect(new Set(ran)).toEqual(new Set([...hinted, ...final].map((r) => `${r.t}/${r.device}`)));
    expect(ran.length).toBe(12);
    for (const j of jobs) expect(new Set(j.map((r) => r.t)).size).toBe(1);
  });

  it('rejects runAll with a job that failed, and leaves no unhandled rejection for unclaimed hints', async () => {
    const fanout = {
      submit: () => Promise.reject(new Error('worker fell over')),
      waitForWorkers: () => Promise.resolve(),
    } as unknown as IoFanout;
    const io = new VariantIo(fanout, v, templates, 1e6);
    for (let i = 0; i < RUNS_PER_JOB; i++) io.prefetch([run(0, `d${i}`)]);
    await expect(io.runAll([run(0, 'd1')])).rejects.toThrow(/worker fell over/);
  });
});
