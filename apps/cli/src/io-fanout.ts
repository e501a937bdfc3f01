// SPDX-License-Identifier: Apache-2.0
// The expensive part of a what-if — every placed VM's device I/O with --full — as BullMQ jobs on
// the queue iofleet-io of a namespace, taken by `iofleet worker` processes: the N this starts on
// this machine (--workers N) and any others started against the same Redis, on other machines.
// Runs are batched per host template (one description per job), a few runs per job, so the
// per-job cost (a few Redis round trips) stays small against the runs' own; with --full, each
// placed VM's runs are queued as soon as it is placed (VariantIo), so the workers run the I/O while
// the scheduler is still placing, and the placement's round trips hide behind it.
import type { ChildProcess } from 'node:child_process';
import {
  bullPrefix,
  type IoRunSpec,
  JOB_RUN_IO,
  JOBS_VERSION,
  QUEUE_IO,
  type RunIoPayload,
  type RunIoResult,
} from '@iofleet/jobs';
import { applyVariant, type IoRun, type RunFigures, type Template, type Variant } from '@iofleet/whatif';
import { Queue, QueueEvents } from 'bullmq';
import { CliError } from './cli-error';
import { CLI_MAIN } from './paths';
import { noteCpu } from './proc-cpu';
import { killNow, startMain } from './processes';
import { VariantIo } from './variant-io';

/** Longest one job may wait and run before the run gives up on it, ms. */
export const IO_JOB_TIMEOUT_MS = 30 * 60_000;
/** Longest to wait for the first sign of a worker on the queue, ms. */
export const WORKER_WAIT_MS = 60_000;

export interface FanoutOptions {
  redisUrl: string;
  namespace: string;
  runId: string;
  /** Worker processes to start here (others may run elsewhere). */
  workers: number;
  plugins: readonly string[];
}

export class IoFanout {
  private readonly procs: ChildProcess[] = [];
  private queue?: Queue<RunIoPayload, RunIoResult>;
  private events?: QueueEvents;
  private batch = 0;
  private cpuNoted = false;
  private readonly pending = new Map<string, (err: string | null, r: RunIoResult | undefined) => void>();

  constructor(private readonly o: FanoutOptions) {}

  async start(): Promise<void> {
    const connection = { url: this.o.redisUrl, maxRetriesPerRequest: null };
    const prefix = bullPrefix(this.o.namespace);
    this.queue = new Queue<RunIoPayload, RunIoResult>(QUEUE_IO, { connection, prefix });
    this.events = new QueueEvents(QUEUE_IO, { connection, prefix });
    // Errors surface through the bounded waits below; the events only need a listener.
    this.queue.on('error', () => undefined);
    this.events.on('error', () => undefined);
    // One listener for every job (not one per job): completions carry the result.
    this.events.on('completed', ({ jobId, returnvalue }) => {
      this.pending.get(jobId)?.(
        null,
        (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as RunIoResult,
      );
    });
    this.events.on('failed', ({ jobId, failedReason }) => {
      // A job with attempts left goes back to wait: only a job that stays failed ends the run.
      void this.queue!.getJobState(jobId).then(
        (state) => state === 'failed' && this.pending.get(jobId)?.(failedReason || 'failed', undefined),
        () => undefined,
      );
    });
    const args = ['worker', '--redis', this.o.redisUrl, '--namespace', this.o.namespace];
    const plugins = this.o.plugins.flatMap((p) => ['--plugin', p]);
    await Promise.all([
      this.events.waitUntilReady(),
      ...Array.from({ length: this.o.workers }, () =>
        startMain(CLI_MAIN, [...args, ...plugins], /io worker ready/, this.procs),
      ),
    ]);
  }

  /** One job of runs on one template's host under a variant; resolves with their figures in order. */
  submit(v: Variant, tpl: Template, runs: readonly IoRun[], durationNs: number): Promise<RunFigures[]> {
    const jobId = `${this.o.runId}-${this.batch++}`;
    const specs: IoRunSpec[] = runs.map((r) => ({
      device: r.device,
      plugin: r.plugin,
      options: r.options,
      mode: r.mode,
    }));
    const data: RunIoPayload = {
      v: JOBS_VERSION,
      runId: this.o.runId,
      desc: applyVariant(tpl.desc, v),
      file: tpl.file,
      ...(v.cmdline && { cmdline: v.cmdline }),
      ...(v.distro && { distro: v.distro }),
      durationMs: durationNs / 1e6,
      runs: specs,
    };
    // Listening before adding: a fast worker's completion cannot come first.
    const done = this.finished(jobId);
    const added = this.queue!.add(JOB_RUN_IO, data, {
      jobId,
      attempts: 2,
      removeOnComplete: true,
      removeOnFail: { age: 3600 },
    });
    return Promise.all([done, added]).then(([r]) => r.figures);
  }

  /** A variant's device I/O on the workers (VariantIo: hinted runs start during placement). */
  forVariant(v: Variant, templates: readonly Template[], durationNs: number): VariantIo {
    return new VariantIo(this, v, templates, durationNs);
  }

  /** Resolves with the job's result when QueueEvents says it completed; bounded by IO_JOB_TIMEOUT_MS. */
  private finished(jobId: string): Promise<RunIoResult> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(jobId);
        reject(new CliError(`device workload job ${jobId} did not finish within ${IO_JOB_TIMEOUT_MS / 60_000} min`));
      }, IO_JOB_TIMEOUT_MS);
      timer.unref();
      this.pending.set(jobId, (e, r) => {
        clearTimeout(timer);
        this.pending.delete(jobId);
        if (e) reject(new CliError(`device workload job ${jobId} failed: ${e.split('\n')[0]}`));
        else resolve(r!);
      });
    });
  }

  /** Fails at once with a clear message when no worker listens (rather than waiting for none). */
  async waitForWorkers(): Promise<void> {
    const end = Date.now() + WORKER_WAIT_MS;
    for (;;) {
      if ((await this.queue!.getWorkersCount()) > 0) return;
      if (Date.now() > end)
        throw new CliError(
          `no iofleet worker listens on namespace '${this.o.namespace}' of ${this.o.redisUrl.replace(/\/\/[^@/]*@/, '//')} (start some with \`iofleet worker\`, or give --workers N)`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Counts the workers' CPU time once, before they are stopped (bench distributed's breakdown). */
  private noteCpuOnce(): void {
    if (this.cpuNoted) return;
    this.cpuNoted = true;
    noteCpu('worker', this.procs);
  }

  stopNow(): void {
    this.noteCpuOnce();
    killNow(this.procs);
  }

  async close(): Promise<void> {
    this.noteCpuOnce();
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await Promise.race([
      Promise.all([this.queue?.close(), this.events?.close()]),
      new Promise((r) => setTimeout(r, 10_000).unref()),
    ]);
    this.stopNow();
  }
}
