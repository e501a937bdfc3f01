// SPDX-License-Identifier: Apache-2.0
// `iofleet simulate` in embedded mode: for each variant, boot each template, place the scenario's
// VMs over its timeline with the scheduler's policy, and measure the device I/O the placed VMs
// run; then compare every variant with the baseline. Everything runs in this process: no Redis,
// no sockets. Deterministic for a scenario and seed.

import { createHash } from 'node:crypto';
import type { SimTracer } from '@iofleet/core';
import { type Host, type HostDescription, loadYamlWithSchema, type PluginRegistry } from '@iofleet/host';
import type { PlacementHost, VmRequest } from '@iofleet/placement';
import { type Scenario, scenarioSchema, type Variant } from '../scenario/schema';
import { generateArrivals, type VmArrival } from './arrivals';
import { checkDeviceClasses, SCENARIO_LINES } from './checks';
import { diffOf, type FleetTotals, fleetTotals } from './compare';
import { bootVariant, fleetHosts, loadTemplates, type Template, templateIndexOf, variantTemplates } from './fleet';
import {
  aggregateIo,
  type ClassFigures,
  type IoRun,
  ioRunKey,
  planIoRuns,
  planVmIoRuns,
  type RunFigures,
  runIoEmbedded,
} from './io-figures';
import { type PlacementOutcome, type PlaceResult, type Placer, runPlacement, runPlacementWith } from './placement-run';

export interface VariantResult {
  name: string;
  description?: string;
  baseline: boolean;
  placement: Omit<PlacementOutcome, 'assignments'> & { assignmentDigest: string };
  io: ClassFigures[];
  /** Fleet-wide sums over the placed VMs' devices (./compare.ts). */
  totals: FleetTotals;
  /** Against the baseline: differences for counts, ratios (variant / baseline) for rates and times. */
  diff?: VariantDiff;
}

export interface VariantDiff {
  placed: number;
  rejected: number;
  devicesStranded: number;
  /** Ratios variant / baseline of the fleet totals. */
  totals: Record<Exclude<keyof FleetTotals, 'vmDevices'>, number>;
  io: Record<
    string,
    { iops: number; gbps: number; latencyP50Ns: number; latencyP99Ns: number; cpuNsPerIo: number; iotlbHitRate: number }
  >;
}

export interface SimulationReport {
  scenario: string;
  description?: string;
  seed: number;
  hosts: number;
  vms: number;
  simulatedIoMs: number;
  variants: VariantResult[];
  notes: string[];
  /** What changed nothing or may not be what was meant (unmodelled kernel parameters...), with the variants it concerns. */
  warnings: string[];
  /** Assignments per variant (VM -> host and devices), for comparing runs; not printed. */
  assignments: Record<string, Record<string, { hostId: string; deviceIds: string[] }>>;
}

export type Phase = 'placement' | 'io';

export interface SimulateOptions {
  plugins: PluginRegistry;
  /** Simulate every placed VM's I/O instead of one representative run per template (slow; checks the shortcut). */
  full?: boolean;
  /** DMA spans of the device runs (sampled), embedded mode. */
  tracer?: SimTracer;
  onProgress?(variant: string, phase: Phase, done: number, total: number): void;
  /** Filled by the embedded run (not part of the report): device I/O runs planned and actually run. */
  stats?: { ioRuns: number; ioRunsExecuted: number };
}

export function loadScenario(file: string): Scenario {
  const loaded = loadYamlWithSchema(file, scenarioSchema);
  SCENARIO_LINES.set(loaded.value, loaded.lineOf);
  return loaded.value;
}

export function simulate(file: string, o: SimulateOptions): SimulationReport {
  const s = loadScenario(file);
  return simulateScenario(s, file, o);
}

/** What a variant runs on: the policy and host models in this process, or agents and a scheduler. */
export interface VariantBackend {
  placer: Placer;
  runIo(r: IoRun): RunFigures | Promise<RunFigures>;
  /** All of a variant's runs at once (fanned out to workers), figures in the order of `runs`. */
  runIoMany?(runs: readonly IoRun[], onDone?: (done: number) => void): Promise<RunFigures[]>;
  /**
   * Full mode: the runs a VM will need, given as soon as it is placed (placement goes on), so the
   * backend can start them while later VMs are placed. A hint only: runIoMany still gets every
   * run after placement, and must give the same figures whether or not a run was hinted.
   */
  prefetchIo?(runs: readonly IoRun[]): void;
  /** What went wrong on the way (hosts that went down, VMs lost), for the report's notes. */
  notes?(): Promise<string[]>;
  stop(): void | Promise<void>;
}

export interface SimBackend {
  /** The backend runs several variants at once (each start() gets its own processes). */
  readonly parallelVariants?: boolean;
  /** Prepares a variant: `hosts` is the fleet's placement view as the embedded run sees it. */
  start(v: Variant, templates: readonly Template[], hosts: readonly PlacementHost[]): Promise<VariantBackend>;
}

interface Prepared {
  s: Scenario;
  file: string;
  /** Host warnings, each with the variants it came up in. */
  warnings: Map<string, string[]>;
  /** The scenario's fleet; a variant may move some of it to other host files (forVariant()). */
  templates: Template[];
  arrivals: VmArrival[];
  report: SimulationReport;
  /** Host files variants moved hosts to, loaded once. */
  hostFiles: Map<string, HostDescription>;
}

/** The templates a variant runs on and, for its host ids (<template host name>-<index>), their template. */
function forVariant(p: Prepared, v: Variant): { templates: Template[]; templateOf: (hostId: string) => number } {
  const templates = variantTemplates(p.templates, p.s, v, p.file, p.hostFiles);
  return { templates, templateOf: (hostId) => templateIndexOf(templates, hostId) };
}

function prepare(s: Scenario, file: string, o: SimulateOptions, mode: string): Prepared {
  const templates = loadTemplates(s, file);
  const arrivals = generateArrivals(s, file);
  const report: SimulationReport = {
    scenario: s.name,
    ...(s.description && { description: s.description }),
    seed: s.seed,
    hosts: templates.reduce((a, t) => a + t.count, 0),
    vms: arrivals.length,
    simulatedIoMs: s.duration / 1e6,
    variants: [],
    notes: [
      o.full
        ? "Full simulation: every placed VM's device I/O was simulated on the device it was given."
        : 'Per-device DMA figures come from simulating one representative host per template and variant and reusing them for every VM on hosts of that template (hosts of a template are identical; `--full` simulates every VM; see docs/simulate.md).',
      `Placement runs the scheduler's IOMMU-group-aware policy on every host of the fleet (${mode}); "stranded" devices are devices held only because of their IOMMU group or unusable because of it, averaged over the run.`,
    ],
    warnings: [],
    assignments: {},
  };
  return { s, file, templates, arrivals, report, warnings: new Map(), hostFiles: new Map() };
}

function addVariant(p: Prepared, v: Variant, placement: PlacementOutcome, io: ClassFigures[]): void {
  const { assignments, ...rest } = placement;
  p.report.assignments[v.name] = Object.fromEntries(assignments);
  // One digest of every VM's host and devices: equal digests mean the same placements.
  const sorted = [...assignments].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const assignmentDigest = createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
  p.report.variants.push({
    name: v.name,
    ...(v.description && { description: v.description }),
    baseline: v.baseline,
    placement: { ...rest, assignmentDigest },
    io,
    totals: fleetTotals(io),
  });
}

/**
 * Boots every template under `v`, keeping the hosts' warnings; the first variant, and any that
 * moves hosts to other files, also checks device classes.
 */
function bootTemplates(p: Prepared, v: Variant, templates: readonly Template[]): Host[] {
  const hosts = templates.map((t) => bootVariant(t, v));
  if (p.report.variants.length === 0 || v.hostTemplates) checkDeviceClasses(p.s, p.file, hosts);
  hosts.forEach((h, i) => {
    for (const w of h.warnings) {
      const key = `${templates[i]!.name}: ${w}`;
      p.warnings.set(key, [...(p.warnings.get(key) ?? []), v.name]);
    }
  });
  return hosts;
}

function finish(p: Prepared): SimulationReport {
  const r = p.report;
  r.warnings = [...p.warnings].map(([w, vs]) => `variant${vs.length > 1 ? 's' : ''} ${vs.join(', ')}, ${w}`);
  const baseline = r.variants.find((x) => x.baseline) ?? r.variants[0]!;
  baseline.baseline = true;
  for (const v of r.variants) if (v !== baseline) v.diff = diffOf(v, baseline);
  return r;
}

/** The embedded what-if: everything in this process, synchronously. */
export function simulateScenario(s: Scenario, file: string, o: SimulateOptions): SimulationReport {
  const p = prepare(s, file, o, 'embedded');
  for (const v of s.variants) {
    const { templates, templateOf } = forVariant(p, v);
    const hosts = fleetHosts(templates, bootTemplates(p, v, templates));
    const events = p.arrivals.length * 2;
    const placement = runPlacement(hosts, p.arrivals, undefined, (d) => o.onProgress?.(v.name, 'placement', d, events));
    const runs = planIoRuns(s, v, templates, templateOf, p.arrivals, placement.assignments, o.full);
    o.onProgress?.(v.name, 'io', 0, runs.length);
    // Runs are deterministic: one per distinct ioRunKey is enough (--full has many VMs per device
    // and spec). Traced runs all run: each emits its own spans.
    const done = new Map<string, RunFigures>();
    const figures = runs.map((r, i) => {
      const key = o.tracer ? '' : ioRunKey(r);
      let f = key ? done.get(key) : undefined;
      if (f === undefined) {
        f = runIoEmbedded(s, v, templates, o.plugins, r, o.tracer);
        if (key) done.set(key, f);
        if (o.stats) o.stats.ioRunsExecuted++;
      }
      if (o.stats) o.stats.ioRuns++;
      o.onProgress?.(v.name, 'io', i + 1, runs.length);
      return f;
    });
    addVariant(p, v, placement, aggregateIo(runs, figures));
  }
  return finish(p);
}

/**
 * The placer, telling `prefetch` each placed VM's full-mode runs as it is placed. Exact when VMs are
 * placed in arrival order (the timeline's order for arrivals sorted by time, as generated); a VM
 * placed out of that order only makes its hints differ from the final plan, which runIoMany gets.
 */
function prefetching(
  p: Prepared,
  v: Variant,
  at: ReturnType<typeof forVariant>,
  placer: Placer,
  prefetch: (runs: readonly IoRun[]) => void,
): Placer {
  const arrivalOf = new Map(p.arrivals.map((a) => [a.vm.id, a]));
  let turn = 0;
  const hint = (vm: VmRequest, r: PlaceResult) => {
    if (!r.placed) return;
    const planned = planVmIoRuns(
      p.s,
      v,
      at.templates,
      at.templateOf(r.hostId),
      arrivalOf.get(vm.id)!,
      r.deviceIds,
      turn,
    );
    turn = planned.turn;
    if (planned.runs.length) prefetch(planned.runs);
  };
  const many = placer.placeMany?.bind(placer);
  // placeMany calls overlap: their hints are given in the order the calls were made.
  let hinted: Promise<unknown> = Promise.resolve();
  return {
    place: async (vm) => {
      const r = await placer.place(vm);
      hint(vm, r);
      return r;
    },
    release: (vmId) => placer.release(vmId),
    ...(many && {
      placeMany: (steps) => {
        const rs = many(steps);
        const done = hinted.then(() =>
          rs.then((r) => {
            let k = 0;
            // Results come in the steps' order: the hints are those of one VM at a time.
            for (const s of steps) if ('vm' in s) hint(s.vm, r[k++]!);
            return r;
          }),
        );
        hinted = done.catch(() => undefined);
        return done;
      },
    }),
  };
}

/** The what-if on another backend (distributed: host agents and a scheduler), event by event. */
export async function simulateWith(
  s: Scenario,
  file: string,
  o: SimulateOptions,
  backend: SimBackend,
  mode = 'distributed',
): Promise<SimulationReport> {
  const p = prepare(s, file, o, mode);
  const runVariant = async (v: Variant) => {
    const { templates, templateOf } = forVariant(p, v);
    const hosts = fleetHosts(templates, bootTemplates(p, v, templates));
    const b = await backend.start(v, templates, hosts);
    try {
      const events = p.arrivals.length * 2;
      const placer =
        o.full && b.prefetchIo
          ? prefetching(p, v, { templates, templateOf }, b.placer, b.prefetchIo.bind(b))
          : b.placer;
      const placement = await runPlacementWith(hosts, p.arrivals, placer, (d) =>
        o.onProgress?.(v.name, 'placement', d, events),
      );
      const runs = planIoRuns(s, v, templates, templateOf, p.arrivals, placement.assignments, o.full);
      const progress = (done: number) => o.onProgress?.(v.name, 'io', done, Math.max(1, runs.length));
      progress(0);
      let figures: RunFigures[];
      if (b.runIoMany) figures = await b.runIoMany(runs, progress);
      else {
        figures = [];
        for (const r of runs) {
          figures.push(await b.runIo(r));
          progress(figures.length);
        }
      }
      progress(runs.length);
      return { v, placement, io: aggregateIo(runs, figures), notes: (await b.notes?.()) ?? [] };
    } finally {
      await b.stop();
    }
  };
  // Variants are independent (each its own processes and Redis namespace): a backend that can
  // runs them at once; the report lists them in the scenario's order either way.
  const settled = backend.parallelVariants
    ? await Promise.allSettled(s.variants.map(runVariant))
    : await s.variants.reduce<Promise<PromiseSettledResult<Awaited<ReturnType<typeof runVariant>>>[]>>(
        async (acc, v) => [...(await acc), ...(await Promise.allSettled([runVariant(v)]))],
        Promise.resolve([]),
      );
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  for (const r of settled) {
    if (r.status !== 'fulfilled') continue;
    addVariant(p, r.value.v, r.value.placement, r.value.io);
    for (const n of r.value.notes) p.report.notes.push(`${r.value.v.name}: ${n}`);
  }
  return finish(p);
}
