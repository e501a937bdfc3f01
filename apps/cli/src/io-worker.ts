// SPDX-License-Identifier: Apache-2.0
// `iofleet worker`: takes device workload runs of distributed what-ifs (`simulate --distributed
// --workers N`, or any number of these on other machines against the same Redis) from the BullMQ
// queue iofleet-io of a namespace, runs each on a host model booted from the job's description
// (the same runHostWorkload the embedded what-if calls, so the figures are the same), and returns
// the figures. A worker is stateless: killed mid-job, its job is handed to another worker when its
// lock expires (stalled-job recovery), and runs are deterministic, so a re-run gives the same figures.

import {
  type HostDescription,
  hostDescriptionSchema,
  type PluginRegistry,
  type RunMode,
  runHostWorkload,
} from '@iofleet/host';
import {
  bullPrefix,
  checkVersion,
  OUTAGE_RETRY,
  QUEUE_IO,
  RedisOutageLog,
  type RunIoPayload,
  type RunIoResult,
} from '@iofleet/jobs';
import { type Job, UnrecoverableError, Worker } from 'bullmq';

/** How long a worker holds a job before another may take it over, ms (a batch of runs must fit). */
export const IO_LOCK_MS = 120_000;

export interface IoWorkerOptions {
  redisUrl: string;
  namespace: string;
  /** Jobs at once in this process (runs are CPU-bound: one per core is the useful maximum). */
  concurrency?: number;
  plugins: PluginRegistry;
  log?: (line: string) => void;
}

export interface RunningIoWorker {
  /** Jobs this worker finished. */
  readonly done: number;
  close(): Promise<void>;
}

/** Runs one job's batch on a model of its host (validated: a job is input from the network). */
export function runIoJob(data: RunIoPayload, plugins: PluginRegistry): RunIoResult {
  checkVersion('run-io', data);
  const parsed = hostDescriptionSchema.safeParse(data.desc);
  if (!parsed.success)
    throw new UnrecoverableError(
      `run-io: the job's host description is invalid: ${parsed.error.message.split('\n')[0]}`,
    );
  const desc: HostDescription = parsed.data;
  const figures = data.runs.map((r) => {
    const [row] = runHostWorkload(desc, {
      file: data.file,
      workload: { plugin: r.plugin, options: r.options },
      modes: [r.mode as RunMode],
      plugins,
      device: r.device,
      durationMs: data.durationMs,
      ...(data.cmdline && { cmdline: data.cmdline }),
      ...(data.distro && { distro: data.distro }),
    });
    const f = row!;
    return {
      iops: f.iops,
      gbps: f.gbps,
      latencyP50Ns: f.latencyP50Ns,
      latencyP99Ns: f.latencyP99Ns,
      cpuNsPerIo: f.cpuNsPerIo,
      iotlbHitRate: f.iotlbHitRate,
      pageTableBytes: f.pageTableBytes,
      faults: f.faults,
      ...(f.pluginFault && { pluginFault: f.pluginFault }),
    };
  });
  return { v: data.v, figures };
}

export async function startIoWorker(o: IoWorkerOptions): Promise<RunningIoWorker> {
  const where = o.redisUrl.replace(/\/\/[^@/]*@/, '//');
  const outage = new RedisOutageLog(where, o.log);
  let done = 0;
  const worker = new Worker<RunIoPayload, RunIoResult>(
    QUEUE_IO,
    async (job: Job<RunIoPayload>) => {
      const r = runIoJob(job.data, o.plugins);
      done++;
      return r;
    },
    {
      connection: { url: o.redisUrl, maxRetriesPerRequest: null, retryStrategy: OUTAGE_RETRY },
      prefix: bullPrefix(o.namespace),
      concurrency: o.concurrency ?? 1,
      lockDuration: IO_LOCK_MS,
      stalledInterval: IO_LOCK_MS,
    },
  );
  outage.watch(worker);
  await worker.waitUntilReady();
  return {
    get done() {
      return done;
    },
    close: () => worker.close(),
  };
}
