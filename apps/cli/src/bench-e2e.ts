// SPDX-License-Identifier: Apache-2.0
// End-to-end placement benchmark: a real redis-server, host-agent processes serving `hosts` copies
// of a GPU node, scheduler processes, and a client that submits `vms` requests over gRPC (a bounded
// window in flight) and watches their placements stream. Measures placements per second from the
// first submit to the last terminal state, the p99 of submit-to-terminal latency, and checks no
// device went to two VMs. Every process it starts is stopped before it returns.
import type { ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { freePort, startRedisServer } from '@iofleet/jobs';
import { SchedulerApi, VmState, type VmStatus } from '@iofleet/proto';
import { CliError } from './cli-error';
import { E2E_TEMPLATE } from './paths';
import { processCpuSeconds } from './proc-cpu';
import { AGENT_MAIN, letProfilesBeWritten, SCHED_MAIN, startMain } from './processes';

/**
 * Requests in flight at once from the benchmark client. Enough to keep every stage busy (Little's
 * law: 500/s at ~50 ms unloaded latency needs ~25), not so many that they only queue: latency is
 * about window / throughput, so 512 in flight could never give p99 < 1 s at 500/s.
 */
export const E2E_WINDOW = 128;

export interface E2eOptions {
  hosts: number;
  vms: number;
  agents: number;
  schedulers: number;
  template?: string;
  onProgress?(done: number, total: number): void;
}

export interface E2eResult {
  endToEndPlacementsPerSec: number;
  p99PlacementLatencyMs: number;
  p50PlacementLatencyMs: number;
  running: number;
  failed: number;
  doubleAssignedDevices: number;
  e2eSeconds: number;
  /** CPU ms per VM over the measured window (first submit to last final state), all scheduler processes together. */
  schedulerCpuMsPerVm: number;
  /** The same for all host-agent processes together, and for redis-server. */
  agentCpuMsPerVm: number;
  redisCpuMsPerVm: number;
  /** The same for the benchmark's client (this process: submits and the placement stream). */
  clientCpuMsPerVm: number;
  /** The 1-minute load average at the end (the machine may be shared). */
  loadAverage1m: number;
}

/** The request mix: half a GPU, 30 % an NVMe drive, 20 % a NIC (one device each). */
function spec(i: number) {
  const cls = i % 10 < 5 ? 'gpu' : i % 10 < 8 ? 'nvme' : 'nic';
  return {
    vcpus: 4,
    memoryMib: 16384n,
    devices: [{ alias: cls, deviceClass: cls, vendor: '', product: '', count: 1, allowVf: false }],
    numaPolicy: 0,
    colocate: [],
    antiAffinityGroup: '',
    acceptableModes: [],
  };
}

export async function benchEndToEnd(o: E2eOptions): Promise<E2eResult> {
  const procs: ChildProcess[] = [];
  const redis = await startRedisServer().catch((e: Error) => {
    throw new CliError(`${e.message} (or run with --pure-only)`);
  });
  try {
    const per = Math.ceil(o.hosts / o.agents);
    const agentAddrs: string[] = [];
    await Promise.all(
      Array.from({ length: o.agents }, async (_, k) => {
        const n = Math.min(per, o.hosts - k * per);
        if (n <= 0) return;
        const port = await freePort();
        agentAddrs.push(`127.0.0.1:${port}`);
        const args = ['--template', o.template ?? E2E_TEMPLATE, '--hosts', String(n), '--first', String(k * per)];
        await startMain(
          AGENT_MAIN,
          [...args, '--prefix', 'node', '--listen', `127.0.0.1:${port}`],
          /listening on/,
          procs,
        );
      }),
    );
    const agentProcs = [...procs];
    const schedAddrs: string[] = [];
    for (let s = 0; s < o.schedulers; s++) {
      const port = await freePort();
      schedAddrs.push(`127.0.0.1:${port}`);
      const args = ['--redis', redis.url, '--agents', agentAddrs.join(','), '--listen', `127.0.0.1:${port}`];
      await startMain(SCHED_MAIN, [...args, '--heartbeat-ms', '5000'], /scheduler listening on/, procs);
    }
    // A submit may wait behind thousands of others: the deadline is the run's, not one call's.
    const clients = schedAddrs.map((a) => new SchedulerApi(a, { deadlineMs: 120_000 }));
    try {
      const groups = { sched: procs.filter((p) => !agentProcs.includes(p)), agent: agentProcs, redis: [redis.proc] };
      return await drive(o, clients, groups);
    } finally {
      for (const c of clients) c.close();
    }
  } finally {
    await letProfilesBeWritten(procs);
    for (const p of procs) p.kill('SIGKILL');
    await redis.kill();
  }
}

/** CPU seconds of each group of processes, summed. */
const cpuOf = (groups: Record<string, readonly ChildProcess[]>) =>
  Object.fromEntries(
    Object.entries(groups).map(([k, ps]) => [k, ps.reduce((a, p) => a + processCpuSeconds(p.pid), 0)]),
  ) as Record<string, number>;

async function drive(
  o: E2eOptions,
  clients: SchedulerApi[],
  groups: Record<'sched' | 'agent' | 'redis', readonly ChildProcess[]>,
): Promise<E2eResult> {
  const submittedAt = new Map<string, number>();
  const latencies: number[] = [];
  const finals = new Map<string, VmStatus>();
  let wake: () => void = () => {};
  const cancelWatch = clients[0]!.watchPlacements((st) => {
    if (finals.has(st.vmId)) return;
    if (st.state !== VmState.VM_STATE_RUNNING && st.state !== VmState.VM_STATE_FAILED) return;
    const t0 = submittedAt.get(st.vmId);
    if (t0 === undefined) return;
    finals.set(st.vmId, st);
    latencies.push(performance.now() - t0);
    wake();
  });
  await new Promise((r) => setTimeout(r, 300)); // the subscription is live
  const t0 = performance.now();
  const cpu0 = cpuOf(groups);
  const client0 = process.cpuUsage();
  for (let i = 0; i < o.vms; i++) {
    while (submittedAt.size - finals.size >= E2E_WINDOW) await new Promise<void>((r) => (wake = r));
    const vmId = `bench-vm-${i}`;
    submittedAt.set(vmId, performance.now());
    const c = clients[i % clients.length]!;
    c.submit({ requestId: `bench-${i}`, vmId, spec: spec(i) }).catch((e: Error) => {
      finals.set(vmId, {
        vmId,
        state: VmState.VM_STATE_FAILED,
        hostId: '',
        deviceIds: [],
        reason: e.message,
        rejections: {},
      });
    });
    if (i % 500 === 0) o.onProgress?.(finals.size, o.vms);
  }
  // After the last submit, every request must end within this long (placements, retries, backoff).
  const deadline = performance.now() + 120_000;
  while (finals.size < o.vms && performance.now() < deadline) {
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 500);
    });
    o.onProgress?.(finals.size, o.vms);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpuOf(groups);
  const client = process.cpuUsage(client0);
  const perVm = (k: string) => ((cpu1[k]! - cpu0[k]!) * 1000) / o.vms;
  cancelWatch();
  if (finals.size < o.vms)
    throw new CliError(`only ${finals.size} of ${o.vms} VMs reached a final state within 2 minutes of the last submit`);
  const seen = new Set<string>();
  let double = 0;
  let running = 0;
  for (const st of finals.values()) {
    if (st.state !== VmState.VM_STATE_RUNNING) continue;
    running++;
    for (const d of st.deviceIds) {
      const k = `${st.hostId}/${d}`;
      if (seen.has(k)) double++;
      seen.add(k);
    }
  }
  latencies.sort((a, b) => a - b);
  const q = (x: number) => latencies[Math.min(latencies.length - 1, Math.floor(x * latencies.length))] ?? 0;
  return {
    endToEndPlacementsPerSec: o.vms / seconds,
    p99PlacementLatencyMs: q(0.99),
    p50PlacementLatencyMs: q(0.5),
    running,
    failed: o.vms - running,
    doubleAssignedDevices: double,
    e2eSeconds: seconds,
    schedulerCpuMsPerVm: perVm('sched'),
    agentCpuMsPerVm: perVm('agent'),
    redisCpuMsPerVm: perVm('redis'),
    clientCpuMsPerVm: (client.user + client.system) / 1000 / o.vms,
    loadAverage1m: loadavg()[0]!,
  };
}
