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
  /** Copies of the host the agent served so that `concurrency` VMs each had their own IOMMU group. */
  hosts: number;
  /** The same, one VM at a time (latency-bound: two RPC round trips each). */
  attachDetachSequentialPerSec: number;
  workloadCallsPerSec: number;
  workloadCalls: number;
  /** Simulated time of each workload call, ns. */
  workloadSimulatedNs: number;
  seconds: number;
  device: string;
}

async function startAgent(template: string, hosts: number): Promise<{ proc: ChildProcess; address: string }> {
  const procs: ChildProcess[] = [];
  try {
    const out = await startMain(
      AGENT_MAIN,
      ['--template', template, '--hosts', String(hosts), '--listen', '127.0.0.1:0'],
      /listening on (\S+),/,
      procs,
    );
    return { proc: procs[0]!, address: /listening on (\S+),/.exec(out)![1]! };
  } catch (e) {
    for (const p of procs) p.kill('SIGKILL');
    throw e;
  }
}

/** Most copies of the host the benchmark's agent serves (as the agent's own --hosts bound). */
export const MAX_BENCH_HOSTS = 4096;

/** IOMMU groups of the host a VM can take: groups of endpoints, none host-bound. */
async function assignableGroups(template: string): Promise<number> {
  const { isEndpointKind, loadHost } = await import('@iofleet/host');
  const h = loadHost(template);
  return h.groups.filter(
    (g) => g.functions.every((f) => !f.desc.hostBound) && g.functions.some((f) => isEndpointKind(f.kind)),
  ).length;
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
  // N VMs at once need N IOMMU groups a VM can take: the agent serves as many copies of the host
  // as that takes (a VM takes a whole group; two VMs never share one).
  const perHost = await assignableGroups(template);
  if (perHost === 0) throw new CliError(`${template}: no IOMMU group a VM can take (all host-bound or no IOMMU)`);
  const hostsNeeded = Math.ceil(concurrency / perHost);
  if (hostsNeeded > MAX_BENCH_HOSTS)
    throw new CliError(
      `--concurrency ${concurrency} needs ${hostsNeeded} copies of the host (${perHost} assignable groups each); at most ${MAX_BENCH_HOSTS}`,
    );
  const { proc, address } = await startAgent(template, hostsNeeded);
  const c = new AgentClient(address);
  try {
    const all = await c.inventory();
    const [inv] = all;
    const nvme = inv!.devices.find((d) => d.plugin === 'nvme') ?? inv!.devices[0];
    if (!nvme) throw new CliError(`${template}: the host has no devices to attach`);
    for (let i = 0; i < 20; i++) {
      await c.attach({
        requestId: `warm-a${i}`,
        hostId: inv!.hostId,
        vmId: 'warm',
        deviceIds: [nvme.id],
        guestMemoryMib: 1024n,
      });
      await c.detach({ requestId: `warm-d${i}`, hostId: inv!.hostId, vmId: 'warm' });
    }
    const cycle = (hostId: string, dev: string, tag: string) => async (i: number) => {
      await c.attach({
        requestId: `a${tag}-${i}`,
        hostId,
        vmId: `vm${tag}-${i}`,
        deviceIds: [dev],
        guestMemoryMib: 1024n,
      });
      await c.detach({ requestId: `d${tag}-${i}`, hostId, vmId: `vm${tag}-${i}` });
    };
    const seq = await timed(seconds, cycle(inv!.hostId, nvme.id, 's'));
    // One free device per distinct IOMMU group of every host, so the concurrent VMs never contend.
    const slots: { hostId: string; dev: string }[] = [];
    for (const h of all) {
      const seen = new Set<number>();
      for (const d of h.devices)
        if (!d.hostBound && d.iommuGroup > 0 && !seen.has(d.iommuGroup)) {
          seen.add(d.iommuGroup);
          slots.push({ hostId: h.hostId, dev: d.id });
        }
    }
    const use = slots.slice(0, concurrency);
    if (use.length < concurrency)
      throw new CliError(
        `--concurrency ${concurrency}: only ${use.length} groups a VM can take on ${all.length} host(s)`,
      );
    const runs = await Promise.all(use.map((x, k) => timed(seconds, cycle(x.hostId, x.dev, `c${k}`))));
    const ad = { n: runs.reduce((a, r) => a + r.n, 0), perSec: runs.reduce((a, r) => a + r.perSec, 0) };
    const durationNs = 100_000n;
    const wl = await timed(seconds, async () => {
      await c.runWorkload({
        hostId: inv!.hostId,
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
      concurrency: use.length,
      hosts: all.length,
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
