// SPDX-License-Identifier: Apache-2.0
// The simulated counterpart of the kernel's dma_map_benchmark (kernel/dma/map_benchmark.c,
// tools/dma/dma_map_benchmark.c): `threads` kernel threads, one per CPU, each mapping a buffer of
// `granule` pages with dma_map_single, holding it for dma_trans_ns, and unmapping it, for
// `seconds` of SIMULATED time; the per-call latency each thread sees (between two ktime_get()
// reads) is averaged with its standard deviation. Runs per mode: 'pt' (identity domain →
// dma-direct), 'lazy' and 'strict' (translated), 'bounce' (dma-direct with swiotlb=force).
//
// Threads are run as a discrete-event simulation: the CPU with the earliest local time takes its
// next step (map, or unmap after the delay), so lock contention and timers happen in time order.
// Departures: a run stops at maxIterations per thread even if the simulated seconds are not used
// up (the model reaches steady state within a few flush-queue and magazine cycles); the latency
// samples get seeded multiplicative noise of the profile's timingJitterCv (measurement noise the
// model does not otherwise produce: interrupts, cache misses).

import { inRange, type NumberRange } from '@iofleet/errors';
import { mulberry32 } from '@iofleet/prng';
import type { Iova } from '../addresses';
import { AmdViUnit } from '../amd/unit';
import { type CostProfile, getCostProfile } from '../cost/cost-profile';
import { DirectDmaOps } from '../dma/dma-direct';
import { IommuDmaOps } from '../dma/dma-iommu';
import { DmaSim } from '../dma/dma-sim';
import {
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_TO_DEVICE,
  type DmaDirection,
  type DmaOps,
  dmaDevice,
} from '../dma/dma-types';
import { IommuDmaCookie } from '../dma/iommu-dma-cookie';
import { SwiotlbPool } from '../dma/swiotlb';
import { CoreError } from '../errors';
import type { IommuDomainOps } from '../iommu/domain-ops';
import { SmmuV3Unit } from '../smmu/unit';
import { HW_INV_WAITS } from '../stats/hw-counters';
import { VtdUnit } from '../vtd/unit';

export type MapBenchMode = 'pt' | 'lazy' | 'strict' | 'bounce';
export const MAP_BENCH_MODES: readonly MapBenchMode[] = ['pt', 'lazy', 'strict', 'bounce'];

/**
 * What each numeric parameter may be. The kernel's limits (kernel/dma/map_benchmark.c
 * map_benchmark_ioctl(): DMA_MAP_MAX_THREADS, DMA_MAP_MAX_SECONDS, DMA_MAP_MAX_TRANS_DELAY
 * (10 ms), granule 1..1024 pages, dma_bits 20..64); maxIterations is the model's own stop.
 * The CLI checks its options against the same table.
 */
export const MAP_BENCH_LIMITS = {
  threads: { min: 1, max: 1024 },
  granule: { min: 1, max: 1024 },
  seconds: { min: 0, max: 300, above: true, integer: false },
  dmaTransNs: { min: 0, max: 10_000_000 },
  dmaBits: { min: 20, max: 64 },
  maxIterations: { min: 1, max: 10_000_000 },
} as const satisfies Partial<Record<keyof MapBenchParams, NumberRange>>;

export interface MapBenchParams {
  threads: number;
  /** Pages per mapping. */
  granule: number;
  dir: DmaDirection;
  /** Simulated transfer time between map and unmap, ns. */
  dmaTransNs: number;
  /** Simulated seconds per mode. */
  seconds: number;
  node: number;
  /** DMA mask of the benchmark device, bits (the kernel tool's default is 32). */
  dmaBits: number;
  modes: readonly MapBenchMode[];
  profile: string | CostProfile;
  /** Cap on iterations per thread (see the departure note above). */
  maxIterations: number;
  seed: number;
  /** Builds the hardware domain for translated modes (default: a VT-d or AMD-Vi unit per the profile's vendor). */
  domainFactory?: (sim: DmaSim) => IommuDomainOps;
}

export const DEFAULT_MAP_BENCH_PARAMS: MapBenchParams = {
  threads: 1,
  granule: 1,
  dir: DMA_BIDIRECTIONAL,
  dmaTransNs: 0,
  seconds: 1,
  node: 0,
  dmaBits: 32,
  modes: ['pt', 'lazy', 'strict'],
  profile: 'intel-icelake-sp',
  maxIterations: 20_000,
  seed: 1,
};

export interface MapBenchResult {
  mode: MapBenchMode;
  mapLatencyNs: number;
  unmapLatencyNs: number;
  mapStddevNs: number;
  unmapStddevNs: number;
  /** map+unmap pairs completed over all threads. */
  iterations: number;
  simulatedNs: number;
  /** Pairs per simulated second over all threads. */
  mapUnmapPerSecond: number;
  /** CPU ns per map+unmap pair (includes lock spinning and timer work). */
  cpuNsPerPair: number;
  invalidationWaits: number;
  fqFlushes: number;
  iovaFastFraction: number;
  lockWaitNs: number;
  mapErrors: number;
  costBreakdownNs: Record<string, number>;
}

function validate(p: MapBenchParams): void {
  const check = (ok: boolean, what: string, value: number) => {
    if (!ok) throw new CoreError('OUT_OF_RANGE', `dma map benchmark: invalid ${what} ${value}`, { [what]: value });
  };
  for (const [what, range] of Object.entries(MAP_BENCH_LIMITS)) {
    const value = p[what as keyof typeof MAP_BENCH_LIMITS];
    check(inRange(value, range), what, value);
  }
}

interface Bench {
  sim: DmaSim;
  ops: DmaOps;
  cookie: IommuDmaCookie | null;
  domain: IommuDomainOps | null;
}

function buildMode(mode: MapBenchMode, p: MapBenchParams, profile: CostProfile): Bench {
  const sim = new DmaSim({ cpuCount: p.threads, profile });
  const dev = dmaDevice({ name: 'dma_map_benchmark', dmaBits: p.dmaBits });
  const swiotlb = new SwiotlbPool(sim.mem, { cpuCount: p.threads, log: (l) => sim.printk(l) });
  if (mode === 'pt' || mode === 'bounce') {
    return { sim, ops: new DirectDmaOps(sim, dev, swiotlb, mode === 'bounce'), cookie: null, domain: null };
  }
  const domain = p.domainFactory ? p.domainFactory(sim) : unitDomain(sim, profile);
  const cookie = new IommuDmaCookie(sim, domain, { mode });
  return { sim, ops: new IommuDmaOps(cookie, dev, { swiotlb }), cookie, domain };
}

/**
 * The default hardware behind translated modes: a real VT-d unit (Intel profiles), AMD-Vi unit
 * (AMD profiles) or SMMUv3 (Arm profiles) on the simulated machine's memory, with one device
 * attached to a DMA domain.
 */
function unitDomain(sim: DmaSim, profile: CostProfile): IommuDomainOps {
  if (profile.unit === 'smmu') {
    const unit = new SmmuV3Unit({ mem: sim.mem });
    const d = unit.createDomain('dma');
    unit.attachDevice(0x0100, d);
    unit.counters.reset();
    return d;
  }
  if (profile.name.startsWith('amd')) {
    const unit = new AmdViUnit({ mem: sim.mem });
    const d = unit.createDomain('dma');
    unit.attachDevice(0x0100, d);
    unit.counters.reset(); // count the benchmark's work only, not the attach
    return d;
  }
  const unit = new VtdUnit({ mem: sim.mem });
  const d = unit.createDomain('dma');
  unit.attachDevice(0x0100, d);
  unit.counters.reset();
  return d;
}

/** Running mean/variance of latency samples (sum and sum of squares, as the kernel keeps them). */
class Moments {
  n = 0;
  sum = 0;
  sumSq = 0;
  add(x: number): void {
    this.n++;
    this.sum += x;
    this.sumSq += x * x;
  }
  get mean(): number {
    return this.n ? this.sum / this.n : 0;
  }
  get stddev(): number {
    return this.n ? Math.sqrt(Math.max(0, this.sumSq / this.n - this.mean ** 2)) : 0;
  }
}

/** Gaussian sample from a uniform source (Box–Muller). */
function gaussian(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/** Runs one mode; returns its result. */
export function runMapBenchMode(mode: MapBenchMode, p: MapBenchParams, profile: CostProfile): MapBenchResult {
  const b = buildMode(mode, p, profile);
  const { sim, ops } = b;
  const size = p.granule * 4096;
  const ktime = sim.cost.ns.ktimeGet;
  const cv = sim.cost.ns.timingJitterCv;
  const rnd = mulberry32(p.seed);
  const noise = () => Math.exp(cv * gaussian(rnd) - (cv * cv) / 2);
  const bufs = Array.from({ length: p.threads }, () => sim.pages.allocPages(p.granule));
  const addr = new Float64Array(p.threads); // each thread's dma_addr_t (an Iova; -1 = mapping error)
  const phase = new Uint8Array(p.threads); // 0: map next, 1: unmap next, 2: done
  const iters = new Float64Array(p.threads);
  const map = new Moments();
  const unmap = new Moments();
  const endNs = p.seconds * 1e9;
  let mapErrors = 0;
  for (let running = p.threads; running > 0; ) {
    const cpu = earliestRunning(sim, phase);
    sim.cpus.runOn(cpu.id);
    const t = cpu.id;
    cpu.charge(ktime);
    const t0 = cpu.nowNs;
    if (phase[t] === 0) {
      addr[t] = ops.mapPage(bufs[t]!, size, p.dir);
      cpu.charge(ktime);
      if (addr[t]! < 0) mapErrors++;
      map.add((cpu.nowNs - t0) * noise());
      cpu.charge(p.dmaTransNs); // ndelay(dma_trans_ns) spins
      phase[t] = 1;
      continue;
    }
    if (addr[t]! >= 0) ops.unmapPage(addr[t]! as Iova, size, p.dir);
    cpu.charge(ktime);
    unmap.add((cpu.nowNs - t0) * noise());
    iters[t]!++;
    if (cpu.nowNs >= endNs || iters[t]! >= p.maxIterations) {
      phase[t] = 2;
      running--;
    } else phase[t] = 0;
  }
  return summarise(mode, b, map, unmap, iters, mapErrors);
}

function earliestRunning(sim: DmaSim, phase: Uint8Array) {
  let best = -1;
  let bestNs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < phase.length; i++) {
    const ns = sim.cpus.cpus[i]!.nowNs;
    if (phase[i] !== 2 && ns < bestNs) {
      best = i;
      bestNs = ns;
    }
  }
  return sim.cpus.cpus[best]!;
}

function summarise(
  mode: MapBenchMode,
  b: Bench,
  map: Moments,
  unmap: Moments,
  iters: Float64Array,
  mapErrors: number,
): MapBenchResult {
  const cpus = b.sim.cpus.cpus;
  let simulatedNs = 0;
  let busy = b.cookie ? b.cookie.timerBusyNs : 0;
  let lockWaitNs = 0;
  for (const c of cpus) {
    simulatedNs = Math.max(simulatedNs, c.nowNs);
    busy += c.busyNs;
    lockWaitNs += c.lockWaitNs;
  }
  const pairs = iters.reduce((a, x) => a + x, 0);
  const st = b.cookie?.iovad.stats;
  const iovaOps = st ? st.fastAllocs + st.fastFrees + st.rbAllocs + st.rbFrees : 0;
  return {
    mode,
    mapLatencyNs: map.mean,
    unmapLatencyNs: unmap.mean,
    mapStddevNs: map.stddev,
    unmapStddevNs: unmap.stddev,
    iterations: pairs,
    simulatedNs,
    mapUnmapPerSecond: simulatedNs > 0 ? (pairs / simulatedNs) * 1e9 : 0,
    cpuNsPerPair: pairs ? busy / pairs : 0,
    invalidationWaits: b.domain ? b.domain.counters.c[HW_INV_WAITS]! : 0,
    fqFlushes: b.cookie?.fq ? b.cookie.fq.fqFlushFinishCnt : 0,
    iovaFastFraction: st && iovaOps ? (st.fastAllocs + st.fastFrees) / iovaOps : 0,
    lockWaitNs,
    mapErrors,
    costBreakdownNs: b.sim.cost.breakdown(),
  };
}

/** Runs every requested mode with the same parameters. */
export function runMapBenchmark(params: Partial<MapBenchParams> = {}): {
  params: MapBenchParams;
  profile: string;
  results: MapBenchResult[];
} {
  const p: MapBenchParams = { ...DEFAULT_MAP_BENCH_PARAMS, ...params };
  validate(p);
  const profile = typeof p.profile === 'string' ? getCostProfile(p.profile) : p.profile;
  return { params: p, profile: profile.name, results: p.modes.map((m) => runMapBenchMode(m, p, profile)) };
}

const DIR_NAMES = ['BIDIRECTIONAL', 'TO_DEVICE', 'FROM_DEVICE'];

/** The kernel tool's report, once per mode (latencies in µs with one decimal). */
export function formatMapBench(p: MapBenchParams, results: readonly MapBenchResult[]): string {
  const us = (ns: number) => (ns / 1000).toFixed(1);
  let out = '';
  for (const r of results) {
    out +=
      `mode: ${r.mode}\n` +
      `dma mapping benchmark: threads:${p.threads} seconds:${p.seconds} node:${p.node} dir:${DIR_NAMES[p.dir]} granule: ${p.granule}\n` +
      `average map latency(us):${us(r.mapLatencyNs)} standard deviation:${us(r.mapStddevNs)}\n` +
      `average unmap latency(us):${us(r.unmapLatencyNs)} standard deviation:${us(r.unmapStddevNs)}\n`;
  }
  return out;
}

export function parseDmaDirection(text: string): DmaDirection {
  const map: Record<string, DmaDirection> = { to: DMA_TO_DEVICE, from: DMA_FROM_DEVICE, bidir: DMA_BIDIRECTIONAL };
  const d = map[text];
  if (d === undefined)
    throw new CoreError('INVALID_ARGUMENT', `direction '${text}': expected to, from or bidir`, { text });
  return d;
}
