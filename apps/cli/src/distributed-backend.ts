// SPDX-License-Identifier: Apache-2.0
// `iofleet simulate --distributed`: the same what-if through the real system — host-agent
// processes (each a shard of hosts, booted from the template with the variant applied), a
// scheduler process placing by BullMQ jobs on Redis, gRPC between them, and with --workers N the
// device workloads fanned out as BullMQ jobs to N `iofleet worker` processes (and any others
// started against the same Redis). VMs are submitted one at a time in timeline order and each
// waits for its final state, so the scheduler decides on the same fleet view in the same order as
// the embedded run (and its view lock keeps heartbeats out of the way: apps/scheduler/view-lock.ts):
// the same placements and figures, every run.
//
// Redis: the given URL or a redis-server started here. Every run takes its own namespace
// (`<ns>:<run id>:v<variant>` for the scheduler's records and queues), so a Redis holding an
// earlier run's data is never mistaken for this one's, and the namespace is deleted at the end.
// Every wait is bounded; every process and temporary file is removed at the end, on error and on
// Ctrl-C (distributed-run.ts).
import { randomBytes } from 'node:crypto';
import { type RedisProcess, startRedisServer } from '@iofleet/jobs';
import type { PlacementHost } from '@iofleet/placement';
import type { SimBackend, Template, Variant, VariantBackend } from '@iofleet/whatif';
import { Redis } from 'ioredis';
import { CliError } from './cli-error';
import { DistributedRun } from './distributed-run';
import { IoFanout } from './io-fanout';
import { noteCpu } from './proc-cpu';

export interface DistributedOptions {
  redisUrl?: string;
  agents: number;
  /** `iofleet worker` processes started here for the device workloads (0: the agents run them). */
  workers: number;
  /** Namespace of the IO queue that workers (here and elsewhere) listen on. */
  namespace: string;
  /** Simulated time of each device workload (the scenario's duration), ns. */
  durationNs: number;
  /** Third-party plugin modules, for the agents and the workers. */
  plugins?: readonly string[];
}

/** Wall seconds of a variant's steps: its processes started, its placement, its I/O after placement. */
export interface VariantPhases {
  variant: string;
  startSeconds: number;
  placementSeconds: number;
  ioSeconds: number;
}

/** Resolves once Redis at `url` answers a PING (within REDIS_CHECK_MS); a CliError naming --redis if not. */
async function checkRedis(url: string): Promise<void> {
  const r = new Redis(url, {
    lazyConnect: true,
    connectTimeout: REDIS_CHECK_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let first: unknown; // the socket's own error (ECONNREFUSED ...), before ioredis's "Connection is closed"
  r.on('error', (e) => {
    first ??= e;
  });
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    const err = (first ?? e) as { code?: string; message?: string };
    const why = err.code ?? String(err.message).split('\n')[0];
    throw new CliError(
      `--redis ${url}: Redis does not answer (${why}); start it, or leave --redis out to have a redis-server started here`,
    );
  } finally {
    r.disconnect();
  }
}

/** How long --redis's Redis has to answer its first PING. */
const REDIS_CHECK_MS = 5000;

export class DistributedBackend implements SimBackend {
  /** Variants run at once: each has its own agents, scheduler and namespace. */
  readonly parallelVariants = true;
  private redis: RedisProcess | null = null;
  private redisStarting: Promise<RedisProcess> | null = null;
  private variantIndex = 0;
  /** This run's id: its Redis namespaces and job ids carry it. */
  readonly runId = `run-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  private io: IoFanout | null = null;
  private ioStarting: Promise<void> | null = null;
  private readonly active = new Set<DistributedRun>();
  /** Each variant's phases, in the order they started (bench distributed prints them). */
  readonly phases: VariantPhases[] = [];
  private readonly onSignal = (sig: NodeJS.Signals) => {
    // Ctrl-C or a kill: stop every process and remove every file now, then leave as the signal would.
    for (const r of this.active) r.stopNow();
    this.io?.stopNow();
    void this.redis?.kill();
    process.stderr.write(`\n${sig}: stopped the distributed run's processes and removed its files\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };

  /** Whatever ends the process (an uncaught error too): kill the children, remove the files. */
  private readonly onExit = () => {
    for (const r of this.active) r.stopNow();
    this.io?.stopNow();
    if (this.redis?.proc.exitCode === null) this.redis.proc.kill('SIGKILL');
  };

  constructor(private readonly o: DistributedOptions) {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    process.once('exit', this.onExit);
  }

  private redisChecked: Promise<void> | null = null;

  private async redisUrl(): Promise<string> {
    if (this.o.redisUrl) {
      // A Redis that does not answer would leave the scheduler retrying in silence: say so now.
      this.redisChecked ??= checkRedis(this.o.redisUrl);
      await this.redisChecked;
      return this.o.redisUrl;
    }
    // Variants start at once: one redis-server for all of them.
    this.redisStarting ??= startRedisServer().then(
      (r) => {
        this.redis = r;
        return r;
      },
      (e: Error) => {
        throw new CliError(`${e.message} (or give --redis URL)`);
      },
    );
    return (await this.redisStarting).url;
  }

  /** The workers are shared by every variant: started once, by the first variant that needs them. */
  private async startIo(redisUrl: string): Promise<void> {
    const io = new IoFanout({
      redisUrl,
      namespace: this.o.namespace,
      runId: this.runId,
      workers: this.o.workers,
      plugins: this.o.plugins ?? [],
    });
    this.io = io;
    await io.start();
  }

  async close(): Promise<void> {
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    process.removeListener('exit', this.onExit);
    for (const r of this.active) await r.stop();
    await this.io?.close();
    this.io = null;
    if (this.redis) noteCpu('redis', [this.redis.proc]);
    await this.redis?.kill();
    this.redis = null;
    this.redisStarting = null;
  }

  async start(v: Variant, templates: readonly Template[], hosts: readonly PlacementHost[]): Promise<VariantBackend> {
    const index = this.variantIndex++;
    const t0 = performance.now();
    const phases: VariantPhases = { variant: v.name, startSeconds: 0, placementSeconds: 0, ioSeconds: 0 };
    this.phases.push(phases);
    const since = (t: number) => (performance.now() - t) / 1000;
    const redisUrl = await this.redisUrl();
    // The workers (shared, started once) start while this variant's agents and scheduler do.
    if (this.o.workers > 0) this.ioStarting ??= this.startIo(redisUrl);
    const run = new DistributedRun({
      redisUrl,
      namespace: `${this.o.namespace}:${this.runId}:v${index}`,
      variant: v,
      templates,
      hosts,
      agents: this.o.agents,
      durationNs: this.o.durationNs,
      plugins: this.o.plugins ?? [],
    });
    this.active.add(run);
    try {
      await Promise.all([run.start(), this.ioStarting]);
    } catch (e) {
      this.active.delete(run);
      await run.stop();
      throw e;
    }
    phases.startSeconds = since(t0);
    const t1 = performance.now();
    const io = this.io?.forVariant(v, templates, this.o.durationNs);
    let notes: string[] | undefined;
    return {
      placer: run.placer(),
      runIo: (r) => run.runIoOnAgent(r),
      ...(io && {
        // Placement is over: the variant's agents and scheduler have nothing left to do, so they
        // stop now (their notes kept) rather than take heartbeats and memory from the workers.
        runIoMany: async (runs, onDone) => {
          phases.placementSeconds = since(t1);
          const t2 = performance.now();
          notes = await run.notes();
          this.active.delete(run);
          await run.stop();
          const figures = await io.runAll(runs, onDone);
          phases.ioSeconds = since(t2);
          return figures;
        },
        prefetchIo: (runs) => io.prefetch(runs),
      }),
      notes: async () => notes ?? run.notes(),
      stop: async () => {
        this.active.delete(run);
        await run.stop();
      },
    };
  }
}
