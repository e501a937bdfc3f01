// SPDX-License-Identifier: Apache-2.0
// `iofleet simulate --distributed`: the same what-if through the real system — host-agent
// processes (each a shard of hosts, booted from the template with the variant applied), a
// scheduler process placing by BullMQ jobs on Redis, and gRPC between them. VMs are submitted one
// at a time in timeline order and each waits for its terminal state, so the scheduler decides on
// the same fleet view in the same order as the embedded run: same placements, same figures.
// Redis: the given URL (one database per variant, so variants never see each other's records) or
// a redis-server started here; every process started here is stopped afterwards.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { freePort, type RedisProcess, startRedisServer } from '@iofleet/jobs';
import type { PlacementHost, VmRequest } from '@iofleet/placement';
import { AgentClient, NumaPolicy, SchedulerClient, VmState, type VmStatus, WorkloadPath } from '@iofleet/proto';
import {
  applyVariant,
  firstIndex,
  type IoRun,
  type PlaceResult,
  type RunFigures,
  type SimBackend,
  type Template,
  type Variant,
  type VariantBackend,
} from '@iofleet/whatif';
import { stringify } from 'yaml';
import { CliError } from './cli-error';
import { AGENT_MAIN, SCHED_MAIN, startMain } from './processes';

/** Databases a Redis server offers by default: one per variant. */
export const MAX_DISTRIBUTED_VARIANTS = 15;

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
};

// biome-ignore lint/suspicious/noExplicitAny: promisifier over generated client methods
const call = <T>(c: any, m: string, req: unknown): Promise<T> =>
  new Promise((res, rej) =>
    c[m](req, new grpc.Metadata(), { deadline: new Date(Date.now() + 30_000) }, (e: Error | null, v: T) =>
      e ? rej(e) : res(v),
    ),
  );

/** The template as a host file with the variant's deltas and kernel settings written in. */
function variantHostFile(t: Template, v: Variant, dir: string, i: number): string {
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

export interface DistributedOptions {
  redisUrl?: string;
  agents: number;
  /** Simulated time of each device workload (the scenario's duration), ns. */
  durationNs: number;
}

export class DistributedBackend implements SimBackend {
  private redis: RedisProcess | null = null;
  private variantIndex = 0;

  constructor(private readonly o: DistributedOptions) {}

  private async redisUrl(): Promise<string> {
    if (this.o.redisUrl) return this.o.redisUrl;
    this.redis ??= await startRedisServer().catch((e: Error) => {
      throw new CliError(`${e.message} (or give --redis URL)`);
    });
    return this.redis.url;
  }

  async close(): Promise<void> {
    await this.redis?.kill();
    this.redis = null;
  }

  async start(v: Variant, templates: readonly Template[], hosts: readonly PlacementHost[]): Promise<VariantBackend> {
    const db = ++this.variantIndex;
    if (db > MAX_DISTRIBUTED_VARIANTS)
      throw new CliError(`distributed mode runs at most ${MAX_DISTRIBUTED_VARIANTS} variants`);
    const base = (await this.redisUrl()).replace(/\/\d+$/, '');
    const redisUrl = `${base}/${db}`;
    const dir = mkdtempSync(join(tmpdir(), 'iofleet-dist-'));
    const procs: ChildProcess[] = [];
    const clients: { close(): void }[] = [];
    const stop = () => {
      for (const c of clients) c.close();
      for (const p of procs) p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      // Agents: each template's hosts split in shards over the agent processes.
      const total = templates.reduce((a, t) => a + t.count, 0);
      const agentOf: { t: number; first: number; count: number; address: string }[] = [];
      const starts: Promise<string>[] = [];
      for (const [i, t] of templates.entries()) {
        const file = variantHostFile(t, v, dir, i);
        const shards = Math.max(1, Math.round((this.o.agents * t.count) / total));
        const per = Math.ceil(t.count / shards);
        for (let k = 0; k * per < t.count; k++) {
          const first = firstIndex(templates, i) + k * per;
          const count = Math.min(per, t.count - k * per);
          const port = await freePort();
          const address = `127.0.0.1:${port}`;
          agentOf.push({ t: i, first, count, address });
          const args = [
            '--template',
            file,
            '--hosts',
            String(count),
            '--first',
            String(first),
            '--prefix',
            t.desc.name,
          ];
          starts.push(startMain(AGENT_MAIN, [...args, '--listen', address], /listening on/, procs));
        }
      }
      await Promise.all(starts);
      const port = await freePort();
      const schedArgs = [
        '--redis',
        redisUrl,
        '--agents',
        agentOf.map((a) => a.address).join(','),
        '--listen',
        `127.0.0.1:${port}`,
      ];
      await startMain(SCHED_MAIN, [...schedArgs, '--heartbeat-ms', '1000'], /scheduler listening on/, procs);
      const sched = new SchedulerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        'grpc.enable_http_proxy': 0,
      });
      clients.push(sched);
      for (let i = 0; ; i++) {
        const r = await call<{ hosts: unknown[] }>(sched, 'listHosts', {});
        if (r.hosts.length >= hosts.length) break;
        if (i > 600) throw new CliError(`the scheduler sees ${r.hosts.length} of ${hosts.length} hosts after 60 s`);
        await new Promise((t) => setTimeout(t, 100));
      }
      const agents = new Map<string, AgentClient>();
      const agentFor = (t: number) => {
        const a = agentOf.find((x) => x.t === t)!;
        let c = agents.get(a.address);
        if (!c) {
          c = new AgentClient(a.address, { deadlineMs: 600_000 });
          agents.set(a.address, c);
          clients.push(c);
        }
        return { c, hostId: `${templates[t]!.desc.name}-${String(a.first).padStart(4, '0')}` };
      };
      return {
        placer: {
          place: async (vm): Promise<PlaceResult> => {
            const spec = {
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
            await call(sched, 'submitVm', { requestId: `${v.name}-${vm.id}`, vmId: vm.id, spec });
            for (;;) {
              const { status } = await call<{ status: VmStatus }>(sched, 'getVm', { vmId: vm.id });
              if (status.state === VmState.VM_STATE_RUNNING)
                return { placed: true, hostId: status.hostId, deviceIds: status.deviceIds };
              if (status.state === VmState.VM_STATE_FAILED)
                return { placed: false, reason: status.reason.replace(/^no host fits: /, '') };
              await new Promise((t) => setTimeout(t, 2));
            }
          },
          release: async (vmId) => {
            await call(sched, 'cancelVm', { vmId });
          },
        },
        runIo: async (r: IoRun): Promise<RunFigures> => {
          const { c, hostId } = agentFor(r.t);
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
        },
        stop,
      };
    } catch (e) {
      stop();
      throw e;
    }
  }
}
