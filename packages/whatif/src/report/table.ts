// SPDX-License-Identifier: Apache-2.0
// The terminal report: one placement table and one I/O table per device class, variants as rows,
// with the change against the baseline.

import Table from 'cli-table3';
import type { SimulationReport, VariantResult } from '../engine/simulate';

/** No ANSI colours: the table goes to files and pipes as often as to terminals. */
const PLAIN = { head: [] as string[], border: [] as string[] };
const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const pct = (r: number | undefined) =>
  r === undefined || !Number.isFinite(r) ? '' : `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%`;

function placementTable(vs: readonly VariantResult[]): string {
  const t = new Table({
    head: ['variant', 'placed', 'rejected', 'rejected by reason', 'stranded devices', 'peak running'],
    style: PLAIN,
  });
  for (const v of vs) {
    const reasons = Object.entries(v.placement.rejectedByReason)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    t.push([
      `${v.name}${v.baseline ? ' (baseline)' : ''}`,
      n0(v.placement.placed),
      n0(v.placement.rejected),
      reasons || '-',
      v.placement.devicesStranded.toFixed(1),
      n0(v.placement.peakRunning),
    ]);
  }
  return t.toString();
}

function ioTable(cls: string, vs: readonly VariantResult[]): string {
  const t = new Table({
    style: PLAIN,
    head: [
      `${cls}: variant`,
      'devices',
      'IOPS/dev',
      'vs base',
      'Gbit/s/dev',
      'p50 µs',
      'p99 µs',
      'vs base',
      'CPU ns/IO',
      'vs base',
      'IOTLB hit',
      'PT KiB',
    ],
  });
  for (const v of vs) {
    const c = v.io.find((x) => x.deviceClass === cls);
    if (!c) continue;
    const d = v.diff?.io[cls];
    t.push([
      v.name,
      n0(c.devices),
      n0(c.iops),
      pct(d?.iops),
      c.gbps.toFixed(2),
      (c.latencyP50Ns / 1000).toFixed(1),
      (c.latencyP99Ns / 1000).toFixed(1),
      pct(d?.latencyP99Ns),
      n0(c.cpuNsPerIo),
      pct(d?.cpuNsPerIo),
      c.iotlbHitRate ? `${(c.iotlbHitRate * 100).toFixed(1)}%` : '-',
      (c.pageTableBytes / 1024).toFixed(0),
    ]);
  }
  return t.toString();
}

export function renderTable(r: SimulationReport): string {
  const classes = [...new Set(r.variants.flatMap((v) => v.io.map((c) => c.deviceClass)))];
  return [
    `scenario ${r.scenario}: ${r.hosts.toLocaleString('en-US')} hosts, ${r.vms.toLocaleString('en-US')} VMs, seed ${r.seed}, ${r.variants.length} variants`,
    placementTable(r.variants),
    ...classes.map((c) => ioTable(c, r.variants)),
    ...r.notes.map((n) => `note: ${n}`),
    '',
  ].join('\n');
}
