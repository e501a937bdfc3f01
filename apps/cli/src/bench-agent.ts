// SPDX-License-Identifier: Apache-2.0
// `iofleet bench agent`: starts a host-agent process on a loopback port (the real binary, a real
// socket) and measures, over real gRPC with the shared AgentClient: attach+detach round trips per
// second (one VM taking and giving back one device's group), and RunWorkload calls per second (a
// short NVMe workload). Wall-clock figures of the agent, not simulated ones.
import type { ChildProcess } from 'node:child_process';
import { AgentClient, IommuMode } from '@iofleet/proto';
import { CliError } from './cli-error';
import { DEFAULT_AGENT_TEMPLATE } from './paths';
import { AGENT_MAIN, startMain } from './processes';

export interface AgentBenchResult {
  /** Attach+detach round trips per second with `concurrency` VMs cycling at once (each its own group). */
  attachDetachPerSec: number;
  attachDetachRoundTrips: number;
  concurrency: number;
  /** The same, one VM at a time (latency-bound: two RPC round trips each). */
  attachDetachSequentialPerSec: number;
  workloadCallsPerSec: number;
  workloadCalls: number;
  /** Simulated time of each workload call, ns. */
  workloadSimulatedNs: number;
  seconds: number;
  device: string;
}

async function startAgent(template: string): Promise<{ proc: ChildProcess; address: string }> {
  const procs: ChildProcess[] = [];
  try {
    const out = await startMain(
      AGENT_MAIN,
      ['--template', template, '--listen', '127.0.0.1:0'],
      /listening on (\S+),/,
      procs,
    );
    return { proc: procs[0]!, address: /listening on (\S+),/.exec(out)![1]! };
  } catch (e) {
    for (const p of procs) p.kill('SIGKILL');
    throw e;
  }
}

/** VMs cycling attach/detach at once in the throughput figure (a scheduler drives many). */
export const DEFAULT_CONCURRENCY = 8;

async function timed(seconds: number, step: (i: number) => Promise<void>): Promise<{ n: number; perSec: number }> {
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let n = 0;
  while (performance.now() < end) await step(n++);
  return { n, perSec: n / ((performance.now() - t0) / 1000) };
}

export async function benchAgent(
  seconds: number,
  template = DEFAULT_AGENT_TEMPLATE,
  concurrency = DEFAULT_CONCURRENCY,
): Promise<AgentBenchResult> {
  const { proc, address } = await startAgent(template);
  const c = new AgentClient(address);
  try {
    const [inv] = await c.inventory();
    const nvme = inv!.devices.find((d) => d.plugin === 'nvme') ?? inv!.devices[0];
    if (!nvme) throw new CliError(`${template}: the host has no devices to attach`);
    for (let i = 0; i < 20; i++) {
      await c.attach({
        requestId: `warm-a${i}`,
        hostId: '',
        vmId: 'warm',
        deviceIds: [nvme.id],
        guestMemoryMib: 1024n,
      });
      await c.detach({ requestId: `warm-d${i}`, hostId: '', vmId: 'warm' });
    }
    const cycle = (dev: string, tag: string) => async (i: number) => {
      await c.attach({
        requestId: `a${tag}-${i}`,
        hostId: '',
        vmId: `vm${tag}-${i}`,
        deviceIds: [dev],
        guestMemoryMib: 1024n,
      });
      await c.detach({ requestId: `d${tag}-${i}`, hostId: '', vmId: `vm${tag}-${i}` });
    };
    const seq = await timed(seconds, cycle(nvme.id, 's'));
    // One free device per distinct IOMMU group, so the concurrent VMs never contend.
    const byGroup = new Map<number, string>();
    for (const d of inv!.devices) if (!d.hostBound && !byGroup.has(d.iommuGroup)) byGroup.set(d.iommuGroup, d.id);
    const devs = [...byGroup.values()].slice(0, concurrency);
    const runs = await Promise.all(devs.map((dev, k) => timed(seconds, cycle(dev, `c${k}`))));
    const ad = { n: runs.reduce((a, r) => a + r.n, 0), perSec: runs.reduce((a, r) => a + r.perSec, 0) };
    const durationNs = 100_000n;
    const wl = await timed(seconds, async () => {
      await c.runWorkload({
        hostId: '',
        deviceId: nvme.plugin ? nvme.id : '',
        plugin: nvme.plugin || 'nvme',
        options: {},
        mode: IommuMode.IOMMU_MODE_LAZY,
        path: 0,
        durationNs,
        seed: 1n,
      });
    });
    return {
      attachDetachPerSec: ad.perSec,
      attachDetachRoundTrips: ad.n,
      concurrency: devs.length,
      attachDetachSequentialPerSec: seq.perSec,
      workloadCallsPerSec: wl.perSec,
      workloadCalls: wl.n,
      workloadSimulatedNs: Number(durationNs),
      seconds,
      device: nvme.id,
    };
  } finally {
    c.close();
    proc.kill('SIGTERM');
  }
}
