// SPDX-License-Identifier: Apache-2.0
// Runs a device's workload for a span of simulated time as a discrete-event simulation: `jobs`
// CPUs each keep `queueDepth` I/Os in flight (fio's numjobs x iodepth). An I/O is submitted on its
// CPU (driver work charged by the DMA layer and the cost model), then served by the device on one
// of its `parallelism` channels (device time from its DMA page translations and busy time), then
// completed on the CPU (unmap, recycle). Like fio, a job may hand its I/Os to the device in
// batches (`WorkloadHooks.submitBatch`, iodepth_batch_submit) and reap them in batches
// (`completeBatchMin`, iodepth_batch_complete_min), both 1 by default. Latency is submit start to
// completion end (in a batched reap, the reap's end, where fio takes it); throughput is I/Os over
// simulated time. The whole run executes inside one guard (a hanging hook is stopped, a throwing
// hook faults the device and ends the run with what was measured so far).

import type { DmaSim } from '@iofleet/core/linux';
import type { IoHandle, WorkloadHooks } from '@iofleet/sdk';
import { SdkError } from '@iofleet/sdk';
import type { DeviceRuntime } from './device-context';
import { guard } from './guard';

/** Bound on I/Os one run keeps latency samples for (each 8 bytes). */
export const MAX_RUN_IOS = 2_000_000;
/** Bound on I/Os in flight per run (jobs x queue depth). */
export const MAX_IN_FLIGHT = 65_536;

export interface RunOptions {
  /** Simulated time to submit I/Os for, ns. */
  durationNs: number;
  /** Stop after this many I/Os even if time remains (bounded by MAX_RUN_IOS). */
  maxIos?: number;
  /** CPUs submitting I/O (fio numjobs), from CPU 0 up. */
  jobs?: number;
  /** Device channels serving I/Os concurrently (default: unlimited = jobs x queue depth). */
  parallelism?: number;
  /** Interrupt delivery and completion-path latency added to every I/O, ns. */
  completionLatencyNs?: number;
  /** Wall-clock limit of the whole run, ms. */
  timeLimitMs?: number;
}

export interface RunResult {
  ios: number;
  bytes: number;
  simulatedNs: number;
  iops: number;
  gbps: number;
  latencyP50Ns: number;
  latencyP99Ns: number;
  latencyMeanNs: number;
  /** Latency at the 5 %, 10 %, ... 100 % quantiles (20 values), for histograms. */
  latencyQuantilesNs: number[];
  /** CPU time (driver and DMA layer) per I/O, ns. */
  cpuNsPerIo: number;
  /** Device time per I/O (translations, transfer, busy), ns. */
  deviceNsPerIo: number;
  iotlbHitRate: number;
  /**
   * IOTLB misses per I/O: translated pages that did not hit the IOTLB (a 4 KiB packet's figure is
   * F&S's per 4 KiB). Like iotlbHitRate it means something for DMA domains only: pass-through
   * looks no page up, so every page counts.
   */
  iotlbMissesPerIo: number;
  /** IOMMU memory reads of page walks per I/O (F&S's M per packet: misses plus paging-structure-cache misses). */
  walkReadsPerIo: number;
  faults: number;
  /** Set when a hook faulted: the run stopped there. */
  pluginFault?: string;
}

interface InFlight {
  io: IoHandle;
  start: number;
  done: number;
}

/** One device of a run: its runtime, hooks and the CPUs its jobs submit from. */
export interface WorkloadPart {
  rt: DeviceRuntime;
  hooks: WorkloadHooks;
  label: string;
  /** CPU ids of its jobs (fio numjobs, each pinned); default CPU 0 up. */
  cpus?: readonly number[];
}

/** An I/O submitted by its CPU (driver work done) that waits for its batch to go to the device. */
interface Pending {
  io: IoHandle;
  start: number;
}

/** A device's submitting CPU: its queue and where its current reap started. */
interface Lane {
  part: number;
  cpu: number;
  /** Its I/Os submitted and not yet completed (pending ones included). */
  inflight: number;
  /**
   * When its current reap had its minimum of completions (with a minimum of 1, when it started);
   * completions done by then belong to it.
   */
  reapCut: number;
  /** Completions its current reap still waits for before it takes what is complete (0: none). */
  reapLeft: number;
  /** Submit starts of the I/Os its current reap completed before it had its minimum. */
  held: number[];
  /** Submitted I/Os not yet handed to the device: the batch being filled (submitBatch > 1). */
  pending: Pending[];
  /** Its I/Os in flight by completion time. */
  heap: CompletionHeap;
}

/** A lane's next event: reap a completion, submit an I/O, or hand its pending batch to the device. */
type LaneEvent = 'reap' | 'submit' | 'commit';

/** Min-heap of in-flight I/Os by completion time. */
class CompletionHeap {
  private readonly a: InFlight[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): InFlight | undefined {
    return this.a[0];
  }
  push(x: InFlight): void {
    const a = this.a;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (a[p]!.done <= a[i]!.done) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): InFlight {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.done < a[m]!.done) m = l;
        if (r < a.length && a[r]!.done < a[m]!.done) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * A part's submitBatch or completeBatchMin: an integer from 1 (default 1). Above the queue depth it
 * is the queue depth, as fio's fixup_options() (init.c) caps iodepth_batch at iodepth; a reap
 * never waits for more than are in flight (wait_for_completions(): min(complete_min, cur_depth)).
 */
function batchOf(p: WorkloadPart, key: 'submitBatch' | 'completeBatchMin', qd: number): number {
  const v = p.hooks[key] ?? 1;
  if (!Number.isInteger(v) || v < 1)
    throw new SdkError('PLUGIN_FAULT', `${p.label}: ${key} ${v} is not an integer of 1 or more`);
  return Math.min(v, qd);
}

function percentile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function runWorkload(
  sim: DmaSim,
  rt: DeviceRuntime,
  hooks: WorkloadHooks,
  label: string,
  o: RunOptions,
): RunResult {
  return runWorkloads(sim, [{ rt, hooks, label }], o)[0]!;
}

/** Per-device state of a run. */
interface PartRun {
  jobs: number;
  qd: number;
  channels: Float64Array;
  complLat: number;
  /** I/Os handed to the device at once (fio iodepth_batch_submit), 1..qd. */
  submitBatch: number;
  /** Completions a reap waits for (fio iodepth_batch_complete_min), 1..qd. */
  completeMin: number;
  lat: Float64Array;
  /** Latency samples taken. */
  latN: number;
  ios: number;
  submitted: number;
  bytes: number;
  lastDone: number;
  busy0: number[];
  dev0: { ioNs: number; pages: number; hits: number; walkReads: number; faults: number };
  fault?: string;
}

/**
 * Runs several devices' workloads at once on one host (`host run --devices`): each device's jobs
 * submit from their own CPUs, and all of them share what their devices share in the model — an
 * IOMMU unit's invalidation queue and engine, the IOVA allocator of a shared domain. Events of all
 * devices run in one simulated-time order. One result per part; a fault in any part ends the run.
 */
export function runWorkloads(sim: DmaSim, parts: readonly WorkloadPart[], o: RunOptions): RunResult[] {
  const cpus = sim.cpus.cpus;
  const maxIos = Math.min(o.maxIos ?? MAX_RUN_IOS, MAX_RUN_IOS);
  const lanes: Lane[] = [];
  const runs: PartRun[] = parts.map((p, pi) => {
    const jobs = Math.max(1, Math.min(p.cpus?.length ?? o.jobs ?? p.hooks.jobs ?? 1, sim.cpus.count));
    const qd = p.hooks.queueDepth;
    if (!Number.isInteger(qd) || qd < 1 || qd * jobs > MAX_IN_FLIGHT)
      throw new SdkError('PLUGIN_FAULT', `${p.label}: queue depth ${qd} x ${jobs} jobs outside 1..${MAX_IN_FLIGHT}`);
    const ids = p.cpus ? p.cpus.slice(0, jobs) : Array.from({ length: jobs }, (_, k) => k);
    for (const cpu of ids) {
      if (!cpus[cpu]) throw new SdkError('PLUGIN_FAULT', `${p.label}: no CPU ${cpu} (the host has ${cpus.length})`);
      lanes.push({
        part: pi,
        cpu,
        inflight: 0,
        reapCut: Number.NEGATIVE_INFINITY,
        reapLeft: 0,
        held: [],
        pending: [],
        heap: new CompletionHeap(),
      });
    }
    const st = p.rt.stats;
    return {
      jobs,
      qd,
      channels: new Float64Array(Math.max(1, Math.min(o.parallelism ?? p.hooks.parallelism ?? qd * jobs, qd * jobs))),
      complLat: o.completionLatencyNs ?? p.hooks.completionLatencyNs ?? 0,
      submitBatch: batchOf(p, 'submitBatch', qd),
      completeMin: batchOf(p, 'completeBatchMin', qd),
      lat: new Float64Array(maxIos),
      latN: 0,
      ios: 0,
      submitted: 0,
      bytes: 0,
      lastDone: 0,
      busy0: ids.map((c) => cpus[c]!.busyNs),
      dev0: { ioNs: st.ioNs, pages: st.pages, hits: st.iotlbHits, walkReads: st.walkReads, faults: st.faults },
    };
  });
  const t0 = Math.max(...lanes.map((l) => cpus[l.cpu]!.nowNs));
  for (const l of lanes) cpus[l.cpu]!.nowNs = t0;
  for (const r of runs) r.lastDone = t0;
  const endNs = t0 + o.durationNs;
  let fault: string | undefined;

  const call = <T>(part: number, what: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      fault = `${parts[part]!.label}: ${what} threw ${e instanceof Error ? e.message : String(e)}; device faulted`;
      runs[part]!.fault = fault;
      return undefined;
    }
  };
  /** A lane may submit: room in its queue, time and its device's budget left. */
  const canSubmit = (l: Lane) =>
    l.inflight < runs[l.part]!.qd && cpus[l.cpu]!.nowNs < endNs && runs[l.part]!.submitted < maxIos;

  /**
   * Hands a lane's pending I/Os to its device at once, at its CPU's time: one doorbell write for
   * the batch. io_uring_enter() submits the SQEs under one plug, and when the plug is flushed
   * nvme_queue_rq() writes the SQ tail doorbell only for the list's last request (bd->last, else
   * nvme_commit_rqs(); since 5.17 nvme_queue_rqs() once for the list; drivers/nvme/host/pci.c).
   * Each I/O then takes its device's earliest free channel.
   */
  const commit = (lane: Lane): void => {
    const p = parts[lane.part]!;
    const r = runs[lane.part]!;
    const at = cpus[lane.cpu]!.nowNs;
    for (const { io, start } of lane.pending) {
      const channels = r.channels;
      let ch = 0;
      for (let k = 1; k < channels.length; k++) if (channels[k]! < channels[ch]!) ch = k;
      const devStart = Math.max(at, channels[ch]!);
      const before = p.rt.stats.ioNs;
      p.rt.startDeviceWork(devStart);
      call(lane.part, 'device()', () => p.hooks.device(io));
      const done = devStart + (p.rt.stats.ioNs - before);
      channels[ch] = done;
      lane.heap.push({ io, start, done: done + r.complLat });
      if (fault) break;
    }
    lane.pending.length = 0;
  };

  const loop = () => {
    for (;;) {
      if (fault) return;
      // Events run in simulated-time order (the DMA layer syncs every CPU to the global clock): the
      // lane whose next event is earliest goes first. A completion happens when its CPU is free, at
      // max(done, that CPU's time). A CPU reaps as fio does (backend.c do_io(): queue until the
      // depth is full, then wait_for_completions()): one reap takes the I/Os complete when it
      // starts (io_getevents / io_uring's CQ, the nvme poll or IRQ pass over the CQ), then the
      // freed slots are refilled before the next reap; I/Os that complete meanwhile wait for that
      // next reap instead of starving the refills.
      //
      // Batches, as fio's do_io() makes them. Submission: fio queues an I/O whenever the queue has
      // a free slot (get_io_u() until queue_full()), and td_io_queue() (ioengines.c) commits the
      // queued ones to the kernel once iodepth_batch_submit of them are queued
      // (`io_u_queued >= iodepth_batch`); td_io_getevents() commits what is queued before it waits,
      // so when the queue is full (or the run is over) a short batch goes out too. Completion:
      // wait_for_completions() asks for min(iodepth_batch_complete_min, cur_depth) events, and
      // io_uring_enter(GETEVENTS) polls (io_iopoll_check()) until that many are complete. The
      // driver completes each I/O as its poll pass finds it, so complete() runs per I/O when it is
      // done (or the CPU is free), but no slot is refilled until the reap has its minimum; then
      // the reap also takes what is complete at that moment. Simplification: fio's
      // iodepth_batch_complete_max defaults to the minimum, so fio itself reaps at most that many
      // and leaves the rest, completed by the driver already, in the CQ ring for its next reap;
      // the runner takes them in this one (as it always has with a minimum of 1).
      let j = -1;
      let at = Number.POSITIVE_INFINITY;
      let act: LaneEvent = 'reap';
      for (let k = 0; k < lanes.length; k++) {
        const l = lanes[k]!;
        const now = cpus[l.cpu]!.nowNs;
        const top = l.heap.peek();
        let t: number;
        let a: LaneEvent;
        if (top && (l.reapLeft > 0 || top.done <= l.reapCut)) {
          t = Math.max(top.done, now);
          a = 'reap';
        } else if (canSubmit(l)) {
          t = now;
          a = 'submit';
        } else if (l.pending.length) {
          t = now;
          a = 'commit';
        } else if (top) {
          t = Math.max(top.done, now);
          a = 'reap';
        } else continue;
        if (t < at) {
          at = t;
          j = k;
          act = a;
        }
      }
      if (j < 0) return;
      const lane = lanes[j]!;
      const p = parts[lane.part]!;
      const r = runs[lane.part]!;
      if (act === 'commit') {
        sim.cpus.runOn(lane.cpu);
        commit(lane);
        continue;
      }
      if (act === 'reap') {
        const next = lane.heap.pop();
        const now = cpus[lane.cpu]!.nowNs;
        // A new reap waits for completeMin of the I/Os at the device (all of them, if fewer); the
        // one that makes the count sets the cut: what is complete by then belongs to this reap.
        if (lane.reapLeft === 0 && next.done > lane.reapCut)
          lane.reapLeft = Math.min(r.completeMin, lane.heap.size + 1);
        if (lane.reapLeft > 0 && --lane.reapLeft === 0) lane.reapCut = Math.max(next.done, now);
        const cpu = sim.cpus.runOn(lane.cpu);
        if (cpu.nowNs < next.done) cpu.idle(next.done - cpu.nowNs);
        sim.cpus.beginCall();
        call(lane.part, 'complete()', () => p.hooks.complete(next.io));
        lane.inflight--;
        // fio takes an I/O's completion time when the reap that returns it to the job returns
        // (io_u_queued_complete(): one fio_gettime() per reap, init_icd()): the I/Os a reap found
        // before its minimum wait for it; the others end with their own completion.
        if (lane.reapLeft > 0) lane.held.push(next.start);
        else {
          for (const st of lane.held) if (r.latN < r.lat.length) r.lat[r.latN++] = cpu.nowNs - st;
          lane.held.length = 0;
          if (r.latN < r.lat.length) r.lat[r.latN++] = cpu.nowNs - next.start;
        }
        r.ios++;
        r.bytes += next.io.bytes;
        r.lastDone = Math.max(r.lastDone, cpu.nowNs);
        continue;
      }
      const cpu = sim.cpus.runOn(lane.cpu);
      sim.cpus.beginCall();
      const start = cpu.nowNs;
      const io = call(lane.part, 'submit()', () => p.hooks.submit(r.submitted));
      if (!io) return;
      r.submitted++;
      lane.inflight++;
      lane.pending.push({ io, start });
      // The batch goes to the device when it is full, or when the lane can submit no more.
      if (lane.pending.length >= r.submitBatch || !canSubmit(lane)) commit(lane);
    }
  };
  guard(`${parts.map((p) => p.label).join(', ')}: workload`, loop, o.timeLimitMs ?? 120_000);
  return runs.map((r, pi) => {
    const laneCpus = lanes.filter((l) => l.part === pi).map((l) => l.cpu);
    let cpuNs = 0;
    laneCpus.forEach((c, k) => {
      cpuNs += cpus[c]!.busyNs - r.busy0[k]!;
    });
    const dev = parts[pi]!.rt.stats;
    const ios = r.ios;
    const simulatedNs = Math.max(1, r.lastDone - t0);
    const sorted = r.lat.subarray(0, r.latN).sort();
    const n = sorted.length;
    const pages = dev.pages - r.dev0.pages;
    return {
      ios,
      bytes: r.bytes,
      simulatedNs,
      iops: (ios / simulatedNs) * 1e9,
      gbps: (r.bytes * 8) / simulatedNs,
      latencyP50Ns: percentile(sorted, 0.5),
      latencyP99Ns: percentile(sorted, 0.99),
      latencyMeanNs: n ? sorted.reduce((a, x) => a + x, 0) / n : 0,
      latencyQuantilesNs: n ? Array.from({ length: 20 }, (_, i) => percentile(sorted, (i + 1) / 20 - 1e-9)) : [],
      cpuNsPerIo: ios ? cpuNs / ios : 0,
      deviceNsPerIo: ios ? (dev.ioNs - r.dev0.ioNs) / ios : 0,
      iotlbHitRate: pages ? (dev.iotlbHits - r.dev0.hits) / pages : 0,
      iotlbMissesPerIo: ios ? (pages - (dev.iotlbHits - r.dev0.hits) - (dev.faults - r.dev0.faults)) / ios : 0,
      walkReadsPerIo: ios ? (dev.walkReads - r.dev0.walkReads) / ios : 0,
      faults: dev.faults - r.dev0.faults,
      ...(r.fault && { pluginFault: r.fault }),
    };
  });
}
