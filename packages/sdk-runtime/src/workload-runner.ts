// SPDX-License-Identifier: Apache-2.0
// Runs a device's workload for a span of simulated time as a discrete-event simulation: `jobs`
// CPUs each keep `queueDepth` I/Os in flight (fio's numjobs x iodepth). An I/O is submitted on its
// CPU (driver work charged by the DMA layer and the cost model), then served by the device on one
// of its `parallelism` channels (device time from its DMA page translations and busy time), then
// completed on the CPU (unmap, recycle). Latency is submit start to completion end; throughput is
// I/Os over simulated time. The whole run executes inside one guard (a hanging hook is stopped,
// a throwing hook faults the device and ends the run with what was measured so far).

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
  faults: number;
  /** Set when a hook faulted: the run stopped there. */
  pluginFault?: string;
}

interface InFlight {
  io: IoHandle;
  cpu: number;
  start: number;
  done: number;
}

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
  const jobs = Math.max(1, Math.min(o.jobs ?? hooks.jobs ?? 1, sim.cpus.count));
  const qd = hooks.queueDepth;
  if (!Number.isInteger(qd) || qd < 1 || qd * jobs > MAX_IN_FLIGHT)
    throw new SdkError('PLUGIN_FAULT', `${label}: queue depth ${qd} x ${jobs} jobs outside 1..${MAX_IN_FLIGHT}`);
  const maxIos = Math.min(o.maxIos ?? MAX_RUN_IOS, MAX_RUN_IOS);
  const channels = new Float64Array(Math.max(1, Math.min(o.parallelism ?? hooks.parallelism ?? qd * jobs, qd * jobs)));
  const lat = new Float64Array(maxIos);
  const inflight = new Int32Array(jobs);
  // One heap per CPU: a completion runs on its own CPU, at max(done, that CPU's time). Taking the
  // earliest `done` of one shared heap ran a completion whose CPU was still busy before another
  // CPU's earlier one, and the global clock (beginCall) then pulled that other CPU forward: CPUs
  // lost time, so a multi-queue NIC at 1,500-byte frames stalled near 60 Gbit/s with idle CPUs.
  const heaps = Array.from({ length: jobs }, () => new CompletionHeap());
  /** Per CPU: when its current reap started; completions done by then belong to it. */
  const reapCut = new Float64Array(jobs).fill(Number.NEGATIVE_INFINITY);
  /**
   * CPU k may reap its next completion: it belongs to the current reap, or the CPU cannot submit
   * (queue full, time or budget spent) and so starts a new one.
   */
  const reapable = (k: number): boolean => {
    const top = heaps[k]!.peek();
    return (
      top !== undefined &&
      (top.done <= reapCut[k]! || inflight[k]! >= qd || cpus[k]!.nowNs >= endNs || submitted >= maxIos)
    );
  };
  /** The CPU whose next reapable completion comes first in simulated time, or -1. */
  const nextCompletion = (): number => {
    let best = -1;
    let at = Number.POSITIVE_INFINITY;
    for (let k = 0; k < jobs; k++) {
      if (!reapable(k)) continue;
      const t = Math.max(heaps[k]!.peek()!.done, cpus[k]!.nowNs);
      if (t < at) {
        at = t;
        best = k;
      }
    }
    return best;
  };
  const complLat = o.completionLatencyNs ?? hooks.completionLatencyNs ?? 0;
  const cpus = sim.cpus.cpus;
  const busy0 = cpus.slice(0, jobs).map((c) => c.busyNs);
  const t0 = Math.max(...cpus.slice(0, jobs).map((c) => c.nowNs));
  for (let j = 0; j < jobs; j++) cpus[j]!.nowNs = t0;
  const endNs = t0 + o.durationNs;
  const dev = rt.stats;
  const dev0 = { ioNs: dev.ioNs, pages: dev.pages, hits: dev.iotlbHits, faults: dev.faults };
  let ios = 0;
  let submitted = 0;
  let bytes = 0;
  let lastDone = t0;
  let fault: string | undefined;

  const call = <T>(what: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      fault = `${label}: ${what} threw ${e instanceof Error ? e.message : String(e)}; device faulted`;
      return undefined;
    }
  };

  const loop = () => {
    for (;;) {
      if (fault) return;
      // The next CPU able to submit: the earliest with room in its queue, while time and budget last.
      let j = -1;
      for (let k = 0; k < jobs; k++)
        if (inflight[k]! < qd && cpus[k]!.nowNs < endNs && (j < 0 || cpus[k]!.nowNs < cpus[j]!.nowNs)) j = k;
      if (submitted >= maxIos) j = -1;
      const nc = nextCompletion();
      if (j < 0 && nc < 0) return;
      // Events run in simulated-time order (the DMA layer syncs every CPU to the global clock): a
      // completion happens when its CPU is free, at max(done, that CPU's time). A CPU reaps as fio
      // does (backend.c do_io(): queue until the depth is full, then wait_for_completions()): one
      // reap takes the I/Os complete when it starts (io_getevents / io_uring's CQ, the nvme poll or
      // IRQ pass over the CQ), then the freed slots are refilled before the next reap; I/Os that
      // complete meanwhile wait for that next reap instead of starving the refills.
      if (nc >= 0 && (j < 0 || Math.max(heaps[nc]!.peek()!.done, cpus[nc]!.nowNs) <= cpus[j]!.nowNs)) {
        const next = heaps[nc]!.pop();
        if (next.done > reapCut[nc]!) reapCut[nc] = Math.max(next.done, cpus[nc]!.nowNs); // a new reap
        const cpu = sim.cpus.runOn(next.cpu);
        if (cpu.nowNs < next.done) cpu.idle(next.done - cpu.nowNs);
        sim.cpus.beginCall();
        call('complete()', () => hooks.complete(next.io));
        inflight[next.cpu]!--;
        lat[ios++] = cpu.nowNs - next.start;
        bytes += next.io.bytes;
        lastDone = Math.max(lastDone, cpu.nowNs);
        continue;
      }
      const cpu = sim.cpus.runOn(j);
      sim.cpus.beginCall();
      const start = cpu.nowNs;
      const io = call('submit()', () => hooks.submit(submitted));
      if (!io) return;
      submitted++;
      inflight[j]!++;
      // The device picks the I/O up on its earliest free channel.
      let ch = 0;
      for (let c = 1; c < channels.length; c++) if (channels[c]! < channels[ch]!) ch = c;
      const devStart = Math.max(cpu.nowNs, channels[ch]!);
      const before = dev.ioNs;
      rt.startDeviceWork(devStart);
      call('device()', () => hooks.device(io));
      const done = devStart + (dev.ioNs - before);
      channels[ch] = done;
      heaps[j]!.push({ io, cpu: j, start, done: done + complLat });
    }
  };
  guard(`${label}: workload`, loop, o.timeLimitMs ?? 120_000);
  let cpuNs = 0;
  for (let j = 0; j < jobs; j++) cpuNs += cpus[j]!.busyNs - busy0[j]!;
  const simulatedNs = Math.max(1, lastDone - t0);
  const sorted = lat.subarray(0, ios).sort();
  const pages = dev.pages - dev0.pages;
  return {
    ios,
    bytes,
    simulatedNs,
    iops: (ios / simulatedNs) * 1e9,
    gbps: (bytes * 8) / simulatedNs,
    latencyP50Ns: percentile(sorted, 0.5),
    latencyP99Ns: percentile(sorted, 0.99),
    latencyMeanNs: ios ? sorted.reduce((a, x) => a + x, 0) / ios : 0,
    latencyQuantilesNs: ios ? Array.from({ length: 20 }, (_, i) => percentile(sorted, (i + 1) / 20 - 1e-9)) : [],
    cpuNsPerIo: ios ? cpuNs / ios : 0,
    deviceNsPerIo: ios ? (dev.ioNs - dev0.ioNs) / ios : 0,
    iotlbHitRate: pages ? (dev.iotlbHits - dev0.hits) / pages : 0,
    faults: dev.faults - dev0.faults,
    ...(fault && { pluginFault: fault }),
  };
}
