// SPDX-License-Identifier: Apache-2.0
// One variant of `simulate --distributed`: its host-agent and scheduler processes, the scheduler
// client that places VMs one at a time, and everything's removal. Every wait has a deadline and
// says what it waited for; stop() and stopNow() leave no process, file or Redis key behind.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { deleteNamespace } from '@iofleet/jobs';
import type { PlacementHost, VmRequest } from '@iofleet/placement';
import { AgentClient, NumaPolicy, SchedulerApi, VmState, type VmStatus, WorkloadPath } from '@iofleet/proto';
import {
  applyVariant,
  firstIndex,
  type IoRun,
  type PlacementStep,
  type PlaceResult,
  type Placer,
  type RunFigures,
  type Template,
  type Variant,
} from '@iofleet/whatif';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { CliError } from './cli-error';
import { noteCpu } from './proc-cpu';
import { AGENT_MAIN, killNow, letProfilesBeWritten, SCHED_MAIN, startMain } from './processes';

/** Longest a VM may take from submit to its final state (placement, attach, retries), ms. */
export const PLACE_TIMEOUT_MS = 120_000;
/** Longest the scheduler may take to see every host, ms. */
export const HOSTS_TIMEOUT_MS = 120_000;
/** How often a placement is checked by polling besides the event stream (a missed event), ms. */
const POLL_MS = 250;

const NUMA: Record<VmRequest['numaPolicy'], NumaPolicy> = {
  required: NumaPolicy.NUMA_POLICY_REQUIRED,
  preferred: NumaPolicy.NUMA_POLICY_PREFERRED,
  socket: NumaPolicy.NUMA_POLICY_SOCKET,
  none: NumaPolicy.NUMA_POLICY_NONE,
};
const PATH: Record<string, WorkloadPath> = {
  booted: WorkloadPath.WORKLOAD_PATH_HOST_BOOTED,
  vfio: WorkloadPath.WORKLOAD_PATH_VFIO,
  emulated: WorkloadPath.WORKLOAD_PATH_EMULATED,
  viommu: WorkloadPath.WORKLOAD_PATH_VFIO_VIOMMU,
  'viommu-bounce': WorkloadPath.WORKLOAD_PATH_VFIO_VIOMMU_BOUNCE,
  'viommu-lazy': WorkloadPath.WORKLOAD_PATH_VFIO_VIOMMU_LAZY,
};

/** How often a VM of a PlaceBatch stretch is polled besides the event stream, ms (hundreds at once). */
const BATCH_POLL_MS = 2000;

/** Deadline of one scheduler call, ms. */
const SCHED_CALL_MS = 30_000;

/** The template as a host file with the variant's deltas and kernel settings written in. */
export function variantHostFile(t: Template, v: Variant, dir: string, i: number): string {
  const d = applyVariant(t.desc, v);
  const abs = (p?: string) => (p && !isAbsolute(p) ? resolve(dirname(t.file), p) : p);
  const desc = {
    ...d,
    kernel: {
      ...d.kernel,
      cmdline: [d.kernel.cmdline, v.cmdline ?? ''].filter((x) => x.trim()).join(' '),
      ...(v.distro && { distro: v.distro }),
    },
    ...(d.firmware && {
      firmware: {
        ...d.firmware,
        table: abs(d.firmware.table),
        acpidump: abs(d.firmware.acpidump),
        lspci: abs(d.firmware.lspci),
      },
    }),
  };
  const file = join(dir, `template-${i}.yaml`);
  writeFileSync(file, stringify(JSON.parse(JSON.stringify(desc))));
  return file;
}

function specOf(vm: VmRequest) {
  return {
    vcpus: vm.vcpus,
    memoryMib: BigInt(vm.memoryMiB),
    devices: vm.devices.map((d) => ({
      alias: d.alias,
      deviceClass: d.deviceClass,
      vendor: d.vendor ?? '',
      product: d.product ?? '',
      count: d.count,
      allowVf: !!d.allowVf,
    })),
    numaPolicy: NUMA[vm.numaPolicy],
    colocate: (vm.colocate ?? []).map((aliases) => ({ aliases })),
    antiAffinityGroup: vm.antiAffinityGroup ?? '',
    acceptableModes: [],
  };
}

export interface RunOptions {
  redisUrl: string;
  /** Redis namespace of this variant's scheduler (records, queues, events). */
  namespace: string;
  variant: Variant;
  templates: readonly Template[];
  hosts: readonly PlacementHost[];
  agents: number;
  durationNs: number;
  plugins: readonly string[];
}

/** Where a process says it listens (its first line: "... listening on <address>, ..."). */
function listeningOn(out: string): string {
  const m = /listening on (\S+?),?\s/.exec(out);
  if (!m) throw new CliError(`could not read the listen address from: ${out.split('\n')[0]}`);
  return m[1]!;
}

/** The what-if's result of a VM from its status (a decision, or a final state). */
function resultOf(st: VmStatus): PlaceResult {
  if (st.state === VmState.VM_STATE_FAILED) return { placed: false, reason: st.reason.replace(/^no host fits: /, '') };
  return { placed: true, hostId: st.hostId, deviceIds: st.deviceIds };
}

/**
 * Where a VM's wait ends: running or failed, or cancelled (released by a later stretch of the
 * timeline before its attach was done: its placement stands, the attach is skipped).
 */
const isFinal = (s: VmState) =>
  s === VmState.VM_STATE_RUNNING || s === VmState.VM_STATE_FAILED || s === VmState.VM_STATE_CANCELLED;

export class DistributedRun {
  private readonly dir = mkdtempSync(join(tmpdir(), 'iofleet-dist-'));
  private readonly procs: ChildProcess[] = [];
  private readonly clients: { close(): void }[] = [];
  private agentOf: { t: number; first: number; count: number; address: string }[] = [];
  private sched?: SchedulerApi;
  private cancelWatch?: () => void;
  private readonly waiters = new Map<string, (s: VmStatus) => void>();
  private readonly agentClients = new Map<string, AgentClient>();
  private stopped = false;
  /** The last PlaceBatch call made: the next one is sent after it is answered. */
  private placing: Promise<unknown> = Promise.resolve();
  private cpuNoted = false;

  constructor(private readonly o: RunOptions) {}

  /** Starts the agents (each template's hosts in shards) and the scheduler; waits until it sees every host. */
  async start(): Promise<void> {
    const { templates, variant: v } = this.o;
    const total = templates.reduce((a, t) => a + t.count, 0);
    const starts: Promise<void>[] = [];
    const plugins = this.o.plugins.flatMap((p) => ['--plugin', p]);
    for (const [i, t] of templates.entries()) {
      const file = variantHostFile(t, v, this.dir, i);
      const shards = Math.max(1, Math.round((this.o.agents * t.count) / total));
      const per = Math.ceil(t.count / shards);
      for (let k = 0; k * per < t.count; k++) {
        const first = firstIndex(templates, i) + k * per;
        const count = Math.min(per, t.count - k * per);
        const shard = { t: i, first, count, address: '' };
        this.agentOf.push(shard);
        // Port 0: the agent picks a free port and says which (no race between parallel starts).
        const args = ['--template', file, '--hosts', String(count), '--first', String(first), '--prefix', t.desc.name];
        starts.push(
          startMain(AGENT_MAIN, [...args, ...plugins, '--listen', '127.0.0.1:0'], /listening on \S+,/, this.procs).then(
            (out) => {
              shard.address = listeningOn(out);
            },
          ),
        );
      }
    }
    await Promise.all(starts);
    const schedArgs = [
      ['--redis', this.o.redisUrl],
      ['--namespace', this.o.namespace],
      ['--agents', this.agentOf.map((a) => a.address).join(',')],
      ['--listen', '127.0.0.1:0'],
      ['--heartbeat-ms', '1000'],
    ].flat();
    const address = listeningOn(await startMain(SCHED_MAIN, schedArgs, /scheduler listening on \S+,/, this.procs));
    this.sched = new SchedulerApi(address, { deadlineMs: SCHED_CALL_MS });
    this.clients.push(this.sched);
    const end = Date.now() + HOSTS_TIMEOUT_MS;
    for (;;) {
      const hosts = await this.sched.listHosts();
      if (hosts.length >= this.o.hosts.length) break;
      if (Date.now() > end)
        throw new CliError(
          `the scheduler sees ${hosts.length} of ${this.o.hosts.length} hosts after ${HOSTS_TIMEOUT_MS / 1000} s`,
        );
      await new Promise((t) => setTimeout(t, 100));
    }
    this.watch();
  }

  /** Final states arrive on the scheduler's event stream; place() also polls in case one is missed. */
  private watch(): void {
    // A broken stream is ignored: polling covers it.
    this.cancelWatch = this.sched!.watchPlacements((st) => {
      if (isFinal(st.state)) this.waiters.get(st.vmId)?.(st);
    });
  }

  /**
   * The VM's final state: from the event stream, or from polling (in case an event is missed),
   * started once `submitted` resolves; rejects after PLACE_TIMEOUT_MS.
   */
  private waitFinal(vmId: string, submitted: Promise<unknown>, pollMs = POLL_MS): Promise<VmStatus> {
    return new Promise<VmStatus>((resolve, reject) => {
      const end = Date.now() + PLACE_TIMEOUT_MS;
      let timer: NodeJS.Timeout | undefined;
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        if (!this.waiters.delete(vmId)) return;
        fn();
      };
      this.waiters.set(vmId, (s) => settle(() => resolve(s)));
      const poll = () => {
        if (this.stopped) return settle(() => reject(new CliError('the distributed run was stopped')));
        this.sched!.get(vmId).then(
          (status) => {
            if (isFinal(status.state)) return settle(() => resolve(status));
            if (Date.now() > end)
              return settle(() =>
                reject(
                  new CliError(
                    `VM ${vmId} did not reach a final state within ${PLACE_TIMEOUT_MS / 1000} s (last state ${VmState[status.state]})`,
                  ),
                ),
              );
            if (this.waiters.has(vmId)) timer = setTimeout(poll, pollMs);
          },
          (e: Error) =>
            settle(() => reject(new CliError(`the scheduler did not answer about VM ${vmId}: ${e.message}`))),
        );
      };
      submitted.then(
        () => {
          if (this.waiters.has(vmId)) timer = setTimeout(poll, pollMs);
        },
        (e: unknown) => settle(() => reject(e)),
      );
    });
  }

  placer(): Placer {
    const v = this.o.variant;
    return {
      place: async (vm) => {
        // Listening for the final state before submitting, so the event cannot come first.
        const submitted = this.sched!.submit({
          requestId: `${v.name}-${vm.id}`,
          vmId: vm.id,
          spec: specOf(vm),
        });
        return resultOf(await this.waitFinal(vm.id, submitted));
      },
      release: async (vmId) => {
        await this.sched!.cancel(vmId);
      },
      placeMany: (steps) => this.placeMany(steps),
    };
  }

  /**
   * A stretch of the timeline in one PlaceBatch call (after the calls made before it): the
   * scheduler decides its placements and releases in order, as one at a time would. Then each
   * placed VM's final state is awaited (its attach): a VM whose host went down meanwhile is placed
   * again by the scheduler, and the result is where it ends up, as with place().
   */
  private async placeMany(steps: readonly PlacementStep[]): Promise<PlaceResult[]> {
    const v = this.o.variant;
    const ops = steps.map((s) =>
      'vm' in s
        ? {
            op: {
              $case: 'place' as const,
              value: { requestId: `${v.name}-${s.vm.id}`, vmId: s.vm.id, spec: specOf(s.vm) },
            },
          }
        : { op: { $case: 'releaseVmId' as const, value: s.release } },
    );
    // Calls reach the scheduler one after the other, in the order made (the what-if has several
    // stretches in flight: a stretch's attaches overlap the next one's decisions). Listening for
    // the final states from now on, so no event can come first.
    const call = this.placing.then(() => this.sched!.placeBatch(ops, PLACE_TIMEOUT_MS));
    this.placing = call.catch(() => undefined);
    const finals = new Map<string, Promise<VmStatus>>();
    for (const s of steps) if ('vm' in s) finals.set(s.vm.id, this.waitFinal(s.vm.id, call, BATCH_POLL_MS));
    // A failed call fails them all; its error is the one thrown.
    for (const f of finals.values()) f.catch(() => undefined);
    const decided = await call;
    const released = new Set(steps.flatMap((s) => ('release' in s ? [s.release] : [])));
    // Rejected, placed without devices (running at once), or released in this stretch: the decision stands.
    for (const d of decided)
      if (d.state !== VmState.VM_STATE_PLACED || released.has(d.vmId)) this.waiters.get(d.vmId)?.(d);
    return Promise.all(decided.map(async (d) => resultOf(await finals.get(d.vmId)!)));
  }

  private agentFor(t: number): { c: AgentClient; hostId: string } {
    const a = this.agentOf.find((x) => x.t === t)!;
    let c = this.agentClients.get(a.address);
    if (!c) {
      c = new AgentClient(a.address, { deadlineMs: 600_000 });
      this.agentClients.set(a.address, c);
      this.clients.push(c);
    }
    return { c, hostId: `${this.o.templates[t]!.desc.name}-${String(a.first).padStart(4, '0')}` };
  }

  /** One device workload on the template's first agent (the path without --workers). */
  async runIoOnAgent(r: IoRun): Promise<RunFigures> {
    const { c, hostId } = this.agentFor(r.t);
    const w = await c.runWorkload({
      hostId,
      deviceId: r.device,
      plugin: r.plugin,
      options: Object.fromEntries(Object.entries(r.options).map(([k, x]) => [k, String(x)])),
      mode: 0,
      path: PATH[r.mode]!,
      durationNs: BigInt(Math.round(this.o.durationNs)),
      seed: 1n,
    });
    return {
      iops: w.iops,
      gbps: w.gbps,
      latencyP50Ns: w.latencyP50Ns,
      latencyP99Ns: w.latencyP99Ns,
      cpuNsPerIo: w.cpuNsPerIo,
      iotlbHitRate: w.iotlbHitRate,
      pageTableBytes: Number(w.pageTableBytes),
      faults: Number(w.faults),
    };
  }

  /** Hosts the scheduler judged down during the variant (their agent died), for the report. */
  async notes(): Promise<string[]> {
    const hosts = await this.sched!.listHosts();
    const down = hosts.filter((h) => !h.alive).map((h) => h.hostId);
    if (!down.length) return [];
    return [
      `${down.length} host(s) went down during the run (their agent stopped answering): ${down.join(', ')}; ` +
        'VMs running there were reported failed, VMs being attached there were placed again elsewhere',
    ];
  }

  /** Stops everything at once (signal handler): no Redis; returns once the processes are dead. */
  stopNow(): void {
    this.stopped = true;
    this.cancelWatch?.();
    for (const c of this.clients) c.close();
    if (!this.cpuNoted) {
      noteCpu('agent', this.procs.slice(0, this.agentOf.length));
      noteCpu('scheduler', this.procs.slice(this.agentOf.length));
    }
    killNow(this.procs);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Stops the processes, removes the files and the variant's Redis keys. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    noteCpu('agent', this.procs.slice(0, this.agentOf.length));
    noteCpu('scheduler', this.procs.slice(this.agentOf.length));
    this.cpuNoted = true;
    await letProfilesBeWritten(this.procs);
    this.stopNow();
    const r = new Redis(this.o.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 5000, lazyConnect: true });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await deleteNamespace(r, this.o.namespace);
    } catch {
      // Redis gone: its keys went with it (or stay under this run's own namespace, harmless).
    } finally {
      r.disconnect();
    }
  }
}
