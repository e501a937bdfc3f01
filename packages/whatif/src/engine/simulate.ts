// SPDX-License-Identifier: Apache-2.0
// `iofleet simulate` in embedded mode: for each variant, boot each template, place the scenario's
// VMs over its timeline with the scheduler's policy, and measure the device I/O the placed VMs
// run; then compare every variant with the baseline. Everything runs in this process: no Redis,
// no sockets. Deterministic for a scenario and seed.

import { loadYamlWithSchema, type PluginRegistry } from '@iofleet/host';
import { type Scenario, scenarioSchema } from '../scenario/schema';
import { generateArrivals } from './arrivals';
import { bootVariant, fleetHosts, loadTemplates } from './fleet';
import { type ClassFigures, ioFigures } from './io-figures';
import { type PlacementOutcome, runPlacement } from './placement-run';

export interface VariantResult {
  name: string;
  description?: string;
  baseline: boolean;
  placement: Omit<PlacementOutcome, 'assignments'>;
  io: ClassFigures[];
  /** Against the baseline: differences for counts, ratios (variant / baseline) for rates and times. */
  diff?: VariantDiff;
}

export interface VariantDiff {
  placed: number;
  rejected: number;
  devicesStranded: number;
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
  /** Assignments per variant (VM -> host and devices), for comparing runs; not printed. */
  assignments: Record<string, Record<string, { hostId: string; deviceIds: string[] }>>;
}

export type Phase = 'placement' | 'io';

export interface SimulateOptions {
  plugins: PluginRegistry;
  /** Simulate every placed VM's I/O instead of one representative run per template (slow; checks the shortcut). */
  full?: boolean;
  onProgress?(variant: string, phase: Phase, done: number, total: number): void;
}

export function loadScenario(file: string): Scenario {
  return loadYamlWithSchema(file, scenarioSchema).value;
}

function diffOf(v: VariantResult, b: VariantResult): VariantDiff {
  const ratio = (x: number, y: number) => (y === 0 ? (x === 0 ? 1 : Number.POSITIVE_INFINITY) : x / y);
  const io: VariantDiff['io'] = {};
  for (const c of v.io) {
    const bc = b.io.find((x) => x.deviceClass === c.deviceClass);
    if (!bc) continue;
    io[c.deviceClass] = {
      iops: ratio(c.iops, bc.iops),
      gbps: ratio(c.gbps, bc.gbps),
      latencyP50Ns: ratio(c.latencyP50Ns, bc.latencyP50Ns),
      latencyP99Ns: ratio(c.latencyP99Ns, bc.latencyP99Ns),
      cpuNsPerIo: ratio(c.cpuNsPerIo, bc.cpuNsPerIo),
      iotlbHitRate: c.iotlbHitRate - bc.iotlbHitRate,
    };
  }
  return {
    placed: v.placement.placed - b.placement.placed,
    rejected: v.placement.rejected - b.placement.rejected,
    devicesStranded: v.placement.devicesStranded - b.placement.devicesStranded,
    io,
  };
}

export function simulate(file: string, o: SimulateOptions): SimulationReport {
  const s = loadScenario(file);
  return simulateScenario(s, file, o);
}

export function simulateScenario(s: Scenario, file: string, o: SimulateOptions): SimulationReport {
  const templates = loadTemplates(s, file);
  const arrivals = generateArrivals(s, file);
  const hostCount = templates.reduce((a, t) => a + t.count, 0);
  // Host ids are <template host name>-<index>; template index by name prefix.
  const templateOf = (hostId: string) => templates.findIndex((t) => hostId.startsWith(`${t.desc.name}-`));
  const report: SimulationReport = {
    scenario: s.name,
    ...(s.description && { description: s.description }),
    seed: s.seed,
    hosts: hostCount,
    vms: arrivals.length,
    simulatedIoMs: s.duration / 1e6,
    variants: [],
    notes: [
      o.full
        ? "Full simulation: every placed VM's device I/O was simulated on the device it was given."
        : 'Per-device DMA figures come from simulating one representative host per template and variant and reusing them for every VM on hosts of that template (hosts of a template are identical; `--full` simulates every VM; see docs/simulate.md).',
      'Placement runs the scheduler\'s IOMMU-group-aware policy on every host of the fleet; "stranded" devices are free devices whose IOMMU group another VM holds, averaged over the run.',
    ],
    assignments: {},
  };
  for (const v of s.variants) {
    const booted = templates.map((t) => bootVariant(t, v));
    const hosts = fleetHosts(templates, booted);
    const events = arrivals.length * 2;
    const placement = runPlacement(hosts, arrivals, undefined, (d) => o.onProgress?.(v.name, 'placement', d, events));
    o.onProgress?.(v.name, 'io', 0, 1);
    const io = ioFigures(s, v, templates, templateOf, arrivals, placement.assignments, o.plugins, undefined, o.full);
    o.onProgress?.(v.name, 'io', 1, 1);
    const { assignments, ...rest } = placement;
    report.assignments[v.name] = Object.fromEntries(assignments);
    report.variants.push({
      name: v.name,
      ...(v.description && { description: v.description }),
      baseline: v.baseline,
      placement: rest,
      io,
    });
  }
  const baseline = report.variants.find((x) => x.baseline) ?? report.variants[0]!;
  baseline.baseline = true;
  for (const v of report.variants) if (v !== baseline) v.diff = diffOf(v, baseline);
  return report;
}
