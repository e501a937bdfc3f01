// SPDX-License-Identifier: Apache-2.0
// `iofleet bench distributed`: the what-if with every placed VM's device I/O (--full), embedded
// (one process) and distributed (agents, a scheduler, Redis, and --workers worker processes taking
// the I/O as BullMQ jobs), side by side in one run, alternating, `repeat` times: wall seconds of
// each, their ratio, and whether the two gave the same placements (assignment digests) and the
// same figures. On a shared machine read the ratios, not the seconds.
import { readdirSync } from 'node:fs';
import type { Scenario } from '@iofleet/whatif';
import { UsageError } from './cli-error';
import type { VariantPhases } from './distributed-backend';
import { childrenCpuSeconds, cpuByRole, statFields } from './proc-cpu';

/** CPU seconds this process and its reaped children have used (children: Linux only, else NaN). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6 + childrenCpuSeconds();
}

/** Waits (bounded) until this process has no child left, so their CPU times are counted. */
async function childrenGone(timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const mine = () => {
    try {
      return readdirSync('/proc').filter((d) => {
        if (!/^\d+$/.test(d)) return false;
        return Number(statFields(Number(d))?.[1]) === process.pid;
      }).length;
    } catch {
      return 0;
    }
  };
  while (mine() > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
}

export interface DistributedBenchOptions {
  scenarioFile: string;
  /** VMs of a Poisson scenario (scales its cost); undefined keeps the scenario's own. */
  vms?: number;
  /**
   * Simulated milliseconds each device workload runs for, instead of the scenario's `duration`:
   * the cost of the I/O, the part that fans out to the workers.
   */
  durationMs?: number;
  workers: number;
  agents: number;
  repeat: number;
  redisUrl?: string;
  onProgress?(line: string): void;
}

export interface DistributedBenchRound {
  embeddedSeconds: number;
  distributedSeconds: number;
  /** embedded / distributed: above 1 means distributed was faster. */
  speedup: number;
  /** CPU seconds used: the embedded run; the distributed run's every process (this one, Redis, agents, schedulers, workers). */
  embeddedCpuSeconds: number;
  distributedCpuSeconds: number;
  sameDigests: boolean;
  sameFigures: boolean;
  /** Where the distributed run's CPU went: CPU seconds by process role ('main' is this process). */
  distributedCpuByRole: Record<string, number>;
  /** Wall seconds of each variant's steps (they run at once): processes started, placement, I/O after it. */
  phases: VariantPhases[];
}

export interface DistributedBenchResult {
  scenario: string;
  vms: number;
  /** Simulated milliseconds of each device workload (the scenario's, or --duration). */
  durationMs: number;
  variants: number;
  workers: number;
  agents: number;
  rounds: DistributedBenchRound[];
  medianSpeedup: number;
  /** Every round gave the embedded run's digests and figures. */
  identical: boolean;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function benchDistributed(o: DistributedBenchOptions): Promise<DistributedBenchResult> {
  const { loadScenario, simulateScenario, simulateWith } = await import('@iofleet/whatif');
  const { pluginRegistry } = await import('./plugins.js');
  const { DistributedBackend } = await import('./distributed-backend.js');
  const s: Scenario = loadScenario(o.scenarioFile);
  if (o.vms !== undefined) {
    if (s.workload.kind !== 'poisson') throw new UsageError('--vms applies to Poisson scenarios only');
    s.workload = { ...s.workload, vms: o.vms };
  }
  if (o.durationMs !== undefined) s.duration = o.durationMs * 1e6;
  const opts = { plugins: pluginRegistry(), full: true };
  const rounds: DistributedBenchRound[] = [];
  for (let i = 0; i < o.repeat; i++) {
    o.onProgress?.(`round ${i + 1}/${o.repeat}: embedded`);
    let t0 = performance.now();
    let c0 = cpuSeconds();
    const emb = simulateScenario(s, o.scenarioFile, opts);
    const embeddedSeconds = (performance.now() - t0) / 1000;
    const embeddedCpuSeconds = cpuSeconds() - c0;
    o.onProgress?.(`round ${i + 1}/${o.repeat}: distributed (${embeddedSeconds.toFixed(1)} s embedded)`);
    const backend = new DistributedBackend({
      agents: o.agents,
      workers: o.workers,
      namespace: 'iofleet-bench',
      durationNs: s.duration,
      ...(o.redisUrl && { redisUrl: o.redisUrl }),
    });
    cpuByRole.clear();
    const main0 = process.cpuUsage();
    t0 = performance.now();
    c0 = cpuSeconds();
    let dist: Awaited<ReturnType<typeof simulateWith>>;
    try {
      dist = await simulateWith(s, o.scenarioFile, opts, backend);
    } finally {
      await backend.close();
    }
    const distributedSeconds = (performance.now() - t0) / 1000;
    await childrenGone();
    const distributedCpuSeconds = cpuSeconds() - c0;
    const main = process.cpuUsage(main0);
    const distributedCpuByRole = { main: (main.user + main.system) / 1e6, ...Object.fromEntries(cpuByRole) };
    const digests = (r: typeof emb) => r.variants.map((v) => v.placement.assignmentDigest);
    const figures = (r: typeof emb) => JSON.stringify(r.variants.map((v) => v.io));
    rounds.push({
      embeddedSeconds,
      distributedSeconds,
      speedup: embeddedSeconds / distributedSeconds,
      embeddedCpuSeconds,
      distributedCpuSeconds,
      sameDigests: JSON.stringify(digests(emb)) === JSON.stringify(digests(dist)),
      sameFigures: figures(emb) === figures(dist),
      distributedCpuByRole,
      phases: backend.phases,
    });
  }
  return {
    scenario: o.scenarioFile,
    vms: s.workload.kind === 'poisson' ? s.workload.vms : 0,
    durationMs: s.duration / 1e6,
    variants: s.variants.length,
    workers: o.workers,
    agents: o.agents,
    rounds,
    medianSpeedup: median(rounds.map((r) => r.speedup)),
    identical: rounds.every((r) => r.sameDigests && r.sameFigures),
  };
}
