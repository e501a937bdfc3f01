// SPDX-License-Identifier: Apache-2.0
// Device I/O figures of a variant. Each distinct (template, I/O spec) that placed VMs use is run
// once on the template's host booted with the variant — the representative-host shortcut: every
// host of a template is identical, so its figures are reused for all VMs on that template's hosts
// (the report says so). Assigned devices run as a VM sees them (VFIO, or emulated when the variant
// says so); host-served I/O runs on a host device in the variant's kernel mode.

import type { HostDescription, HostRunRow, PluginRegistry, RunMode } from '@iofleet/host';
import { runHostWorkload } from '@iofleet/host';
import type { Scenario, Variant } from '../scenario/schema';
import type { VmArrival } from './arrivals';
import { applyVariant, type Template } from './fleet';

export interface ClassFigures {
  deviceClass: string;
  /** (VM, device) pairs the figures stand for. */
  devices: number;
  iops: number;
  gbps: number;
  latencyP50Ns: number;
  latencyP99Ns: number;
  cpuNsPerIo: number;
  iotlbHitRate: number;
  pageTableBytes: number;
  faults: number;
  /** Devices whose plugin faulted in the representative run. */
  deviceFaults: number;
}

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

function ioOf(s: Scenario, a: VmArrival) {
  return a.shape ? a.shape.io : s.workload.kind === 'alibaba-gpu-v2023' ? s.workload.io : [];
}

function firstOfClass(desc: HostDescription, cls: string): string | undefined {
  return desc.pci.find((n) => n.class === cls && (n.kind === 'endpoint' || n.kind === 'pciEndpoint'))?.bdf;
}

/** Full mode: the VM's own device of the class, or the host's devices of the class in turn. */
function deviceFor(
  desc: HostDescription,
  io: { device: string; via: 'assigned' | 'host' },
  assigned: readonly string[],
  turn: number,
): string | undefined {
  const ofClass = desc.pci.filter((n) => n.class === io.device && (n.kind === 'endpoint' || n.kind === 'pciEndpoint'));
  if (io.via === 'assigned') {
    const mine = ofClass.find((n) => assigned.some((id) => id.endsWith(n.bdf)));
    if (mine) return mine.bdf;
  }
  return ofClass[turn % Math.max(1, ofClass.length)]?.bdf;
}

export interface IoRunCounters {
  runs: number;
}

/**
 * Runs the I/O of placed VMs. Representative (default): one run per distinct (template, I/O spec),
 * on the first device of the class, reused for every VM. Full: one run per placed VM and I/O spec,
 * on the device the VM was actually given (assigned I/O) or on the host's devices of the class in
 * turn (host-served I/O) — the check that the shortcut is representative.
 */
export function ioFigures(
  s: Scenario,
  v: Variant,
  templates: readonly Template[],
  templateOfHost: (hostId: string) => number,
  arrivals: readonly VmArrival[],
  assignments: ReadonlyMap<string, { hostId: string; deviceIds: string[] }>,
  plugins: PluginRegistry,
  counters: IoRunCounters = { runs: 0 },
  full = false,
): ClassFigures[] {
  // How many (VM, I/O) pairs each run stands for.
  const uses = new Map<string, { t: number; io: ReturnType<typeof ioOf>[number]; n: number; device?: string }>();
  let turn = 0;
  for (const a of arrivals) {
    const as = assignments.get(a.vm.id);
    if (!as) continue;
    const t = templateOfHost(as.hostId);
    for (const io of ioOf(s, a)) {
      if (full) {
        const device = deviceFor(templates[t]!.desc, io, as.deviceIds, turn++);
        uses.set(`${a.vm.id}\u0000${JSON.stringify(io)}`, { t, io, n: 1, ...(device && { device }) });
        continue;
      }
      const key = `${t}\u0000${JSON.stringify(io)}`;
      const u = uses.get(key);
      if (u) u.n++;
      else uses.set(key, { t, io, n: 1 });
    }
  }
  const byClass = new Map<string, { rows: { row: HostRunRow; n: number }[] }>();
  for (const { t, io, n, device: given } of uses.values()) {
    const tpl = templates[t]!;
    const desc = applyVariant(tpl.desc, v);
    const device = given ?? firstOfClass(desc, io.device);
    if (!device) continue; // the template has no such device: nothing of this class ran there
    const plugin = io.plugin ?? desc.pci.find((p) => p.bdf === device)?.plugin ?? io.device;
    const mode: RunMode = io.via === 'host' ? 'booted' : v.deviceModel === 'emulated' ? 'emulated' : 'vfio';
    const [row] = runHostWorkload(desc, {
      file: tpl.file,
      workload: { plugin, options: io.options },
      modes: [mode],
      plugins,
      device,
      durationMs: s.duration / 1e6,
      ...(v.cmdline && { cmdline: v.cmdline }),
      ...(v.distro && { distro: v.distro }),
    });
    counters.runs++;
    const list = byClass.get(io.device) ?? { rows: [] };
    list.rows.push({ row: row!, n });
    byClass.set(io.device, list);
  }
  return [...byClass].map(([deviceClass, { rows }]) => {
    const total = rows.reduce((a, r) => a + r.n, 0);
    const f = Object.fromEntries(
      FIGURES.map((k) => [k, rows.reduce((a, r) => a + r.row[k] * r.n, 0) / total]),
    ) as Record<(typeof FIGURES)[number], number>;
    return {
      deviceClass,
      devices: total,
      ...f,
      deviceFaults: rows.reduce((a, r) => a + (r.row.pluginFault ? r.n : 0), 0),
    };
  });
}
