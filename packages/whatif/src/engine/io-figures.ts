// SPDX-License-Identifier: Apache-2.0
// Device I/O figures of a variant. Each distinct (template, I/O spec) that placed VMs use is run
// once on the template's host booted with the variant — the representative-host shortcut: every
// host of a template is identical, so its figures are reused for all VMs on that template's hosts
// (the report says so). Assigned devices run as a VM sees them (VFIO, or emulated when the variant
// says so); host-served I/O runs on a host device in the variant's kernel mode.

import type { SimTracer } from '@iofleet/core';
import type { HostDescription, HostRunRow, PluginRegistry, RunMode } from '@iofleet/host';
import { isEndpointKind, runHostWorkload } from '@iofleet/host';
import type { Scenario, Variant } from '../scenario/schema';
import type { VmArrival } from './arrivals';
import { applyVariant, type Template } from './fleet';

/** The figures of a device I/O run that a what-if reports, per run and per device class. */
const FIGURES = [
  'iops',
  'gbps',
  'latencyP50Ns',
  'latencyP99Ns',
  'cpuNsPerIo',
  'iotlbHitRate',
  'pageTableBytes',
  'faults',
] as const;
type Figure = (typeof FIGURES)[number];

/** Per device class: each of FIGURES, weighted by the (VM, device) pairs of the runs. */
export type ClassFigures = Record<Figure, number> & {
  deviceClass: string;
  /** (VM, device) pairs the figures stand for. */
  devices: number;
  /** Devices whose plugin faulted in the representative run. */
  deviceFaults: number;
};

function ioOf(s: Scenario, a: VmArrival) {
  return a.shape ? a.shape.io : s.workload.kind === 'alibaba-gpu-v2023' ? s.workload.io : [];
}

function firstOfClass(desc: HostDescription, cls: string): string | undefined {
  return desc.pci.find((n) => n.class === cls && isEndpointKind(n.kind))?.bdf;
}

/** Full mode: the VM's own device of the class, or the host's devices of the class in turn. */
function deviceFor(
  desc: HostDescription,
  io: { device: string; via: 'assigned' | 'host' },
  assigned: readonly string[],
  turn: number,
): string | undefined {
  const ofClass = desc.pci.filter((n) => n.class === io.device && isEndpointKind(n.kind));
  if (io.via === 'assigned') {
    const mine = ofClass.find((n) => assigned.some((id) => id.endsWith(n.bdf)));
    if (mine) return mine.bdf;
  }
  return ofClass[turn % Math.max(1, ofClass.length)]?.bdf;
}

/** One device workload run: where, what, and how many (VM, I/O) pairs it stands for. */
export interface IoRun {
  /** Template index. */
  t: number;
  /** Device class the figures are reported under. */
  deviceClass: string;
  /** PCI address on the template's host. */
  device: string;
  plugin: string;
  options: Record<string, string | number | boolean>;
  mode: RunMode;
  n: number;
}

/** The figures of one run (a HostRunRow's, as an agent's RunWorkload also returns them). */
export type RunFigures = Pick<HostRunRow, Figure> & { pluginFault?: string };

type IoUse = { t: number; io: ReturnType<typeof ioOf>[number]; n: number; device?: string };

/** The run of a use: on its device (or the template's first of the class); undefined when the template has none. */
function runOf(v: Variant, templates: readonly Template[], { t, io, n, device: given }: IoUse): IoRun | undefined {
  const desc = applyVariant(templates[t]!.desc, v);
  const device = given ?? firstOfClass(desc, io.device);
  if (!device) return undefined; // the template has no such device: nothing of this class ran there
  return {
    t,
    deviceClass: io.device,
    device,
    plugin: io.plugin ?? desc.pci.find((p) => p.bdf === device)?.plugin ?? io.device,
    options: io.options,
    mode: io.via === 'host' ? 'booted' : !v.deviceModel || v.deviceModel === 'passthrough' ? 'vfio' : v.deviceModel,
    n,
  };
}

/**
 * Full mode, one placed VM: its runs, on the device it was given (assigned I/O) or on the host's
 * devices of the class in turn (host-served I/O). `turn` counts the I/O specs of the VMs placed
 * before it, in arrival order; the result says where the next VM's count starts. planIoRuns(full)
 * is this over every placed VM in arrival order, so a caller can plan a VM's runs as soon as it is
 * placed (the distributed run starts them while later VMs are still being placed).
 */
export function planVmIoRuns(
  s: Scenario,
  v: Variant,
  templates: readonly Template[],
  t: number,
  a: VmArrival,
  deviceIds: readonly string[],
  turn: number,
): { runs: IoRun[]; turn: number } {
  // A VM's identical I/O specs are one run (on the device of the last of them).
  const uses = new Map<string, IoUse>();
  for (const io of ioOf(s, a)) {
    const device = deviceFor(templates[t]!.desc, io, deviceIds, turn++);
    uses.set(JSON.stringify(io), { t, io, n: 1, ...(device && { device }) });
  }
  const runs: IoRun[] = [];
  for (const u of uses.values()) {
    const r = runOf(v, templates, u);
    if (r) runs.push(r);
  }
  return { runs, turn };
}

/**
 * The runs the placed VMs' I/O needs. Representative (default): one per distinct (template, I/O
 * spec), on the first device of the class, standing for every such VM. Full: one per placed VM and
 * I/O spec (planVmIoRuns) — the check that the shortcut is representative.
 */
export function planIoRuns(
  s: Scenario,
  v: Variant,
  templates: readonly Template[],
  templateOfHost: (hostId: string) => number,
  arrivals: readonly VmArrival[],
  assignments: ReadonlyMap<string, { hostId: string; deviceIds: string[] }>,
  full = false,
): IoRun[] {
  const runs: IoRun[] = [];
  if (full) {
    let turn = 0;
    for (const a of arrivals) {
      const as = assignments.get(a.vm.id);
      if (!as) continue;
      const r = planVmIoRuns(s, v, templates, templateOfHost(as.hostId), a, as.deviceIds, turn);
      turn = r.turn;
      runs.push(...r.runs);
    }
    return runs;
  }
  const uses = new Map<string, IoUse>();
  for (const a of arrivals) {
    const as = assignments.get(a.vm.id);
    if (!as) continue;
    const t = templateOfHost(as.hostId);
    for (const io of ioOf(s, a)) {
      const key = `${t}\u0000${JSON.stringify(io)}`;
      const u = uses.get(key);
      if (u) u.n++;
      else uses.set(key, { t, io, n: 1 });
    }
  }
  for (const u of uses.values()) {
    const r = runOf(v, templates, u);
    if (r) runs.push(r);
  }
  return runs;
}

/**
 * What a run's figures depend on besides the variant: template, device, plugin, options and mode
 * (not `n`, the pairs it stands for). A run boots a fresh host and is deterministic (seeded), so
 * runs of one variant with the same key give the same figures: --full reuses them (issue #19).
 */
export function ioRunKey(r: IoRun): string {
  return `${r.t}\u0000${r.device}\u0000${r.plugin}\u0000${r.mode}\u0000${JSON.stringify(r.options)}`;
}

/** A run in this process: boot the template's host with the variant and run the workload. */
export function runIoEmbedded(
  s: Scenario,
  v: Variant,
  templates: readonly Template[],
  plugins: PluginRegistry,
  r: IoRun,
  tracer?: SimTracer,
): RunFigures {
  const tpl = templates[r.t]!;
  const [row] = runHostWorkload(applyVariant(tpl.desc, v), {
    file: tpl.file,
    workload: { plugin: r.plugin, options: r.options },
    modes: [r.mode],
    plugins,
    device: r.device,
    durationMs: s.duration / 1e6,
    ...(tracer && { tracer }),
    ...(v.cmdline && { cmdline: v.cmdline }),
    ...(v.distro && { distro: v.distro }),
  });
  return row!;
}

/** Per device class: the runs' figures weighted by the (VM, I/O) pairs each stands for. */
export function aggregateIo(runs: readonly IoRun[], figures: readonly RunFigures[]): ClassFigures[] {
  const byClass = new Map<string, { f: RunFigures; n: number }[]>();
  for (const [i, r] of runs.entries())
    byClass.set(r.deviceClass, [...(byClass.get(r.deviceClass) ?? []), { f: figures[i]!, n: r.n }]);
  return [...byClass].map(([deviceClass, rows]) => {
    const total = rows.reduce((a, r) => a + r.n, 0);
    const f = Object.fromEntries(FIGURES.map((k) => [k, rows.reduce((a, r) => a + r.f[k] * r.n, 0) / total])) as Record<
      Figure,
      number
    >;
    return {
      deviceClass,
      devices: total,
      ...f,
      deviceFaults: rows.reduce((a, r) => a + (r.f.pluginFault ? r.n : 0), 0),
    };
  });
}
