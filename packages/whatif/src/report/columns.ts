// SPDX-License-Identifier: Apache-2.0
// The report's columns, defined once for the terminal table, the CSV file and the HTML page: a
// heading, a CSV name, the raw value (as in report.json) and how it reads.
import type { ClassFigures } from '../engine/io-figures';
import type { SimulationReport, VariantDiff, VariantResult } from '../engine/simulate';

export interface Column<T> {
  /** Heading in the terminal and HTML tables. */
  head: string;
  /** Column name in report.csv. */
  csv: string;
  /** The raw figure (a ratio variant / baseline for "vs base" columns); undefined when it does not apply. */
  value(x: T): number | string | undefined;
  /** The figure as people read it. */
  text(x: T): string;
}

/** One device class of one variant. */
export interface IoCell {
  variant: VariantResult;
  figures: ClassFigures;
  diff?: VariantDiff['io'][string];
}

export const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
/** A ratio variant / baseline as a signed percentage change ('' when there is none). */
export const pct = (r: number | undefined) =>
  r === undefined || !Number.isFinite(r) ? '' : `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%`;

function figure(
  head: string,
  csv: string,
  get: (c: ClassFigures) => number,
  fmt: (n: number) => string,
): Column<IoCell> {
  return { head, csv, value: (x) => get(x.figures), text: (x) => fmt(get(x.figures)) };
}

function change(csv: string, get: (d: NonNullable<IoCell['diff']>) => number): Column<IoCell> {
  return {
    head: 'vs base',
    csv,
    value: (x) => (x.diff ? get(x.diff) : undefined),
    text: (x) => pct(x.diff && get(x.diff)),
  };
}

/** The I/O figures of a device class, in table order. */
export const IO_COLUMNS: readonly Column<IoCell>[] = [
  figure('devices', 'vmDevices', (c) => c.devices, n0),
  figure('IOPS/dev', 'iopsPerDevice', (c) => c.iops, n0),
  change('iopsVsBaseline', (d) => d.iops),
  figure(
    'Gbit/s/dev',
    'gbpsPerDevice',
    (c) => c.gbps,
    (n) => n.toFixed(2),
  ),
  figure(
    'p50 µs',
    'latencyP50Us',
    (c) => c.latencyP50Ns / 1000,
    (n) => n.toFixed(1),
  ),
  figure(
    'p99 µs',
    'latencyP99Us',
    (c) => c.latencyP99Ns / 1000,
    (n) => n.toFixed(1),
  ),
  change('latencyP99VsBaseline', (d) => d.latencyP99Ns),
  figure('CPU ns/IO', 'cpuNsPerIo', (c) => c.cpuNsPerIo, n0),
  change('cpuNsPerIoVsBaseline', (d) => d.cpuNsPerIo),
  {
    head: 'IOTLB hit',
    csv: 'iotlbHitRate',
    value: (x) => x.figures.iotlbHitRate,
    text: (x) => (x.figures.iotlbHitRate ? `${(x.figures.iotlbHitRate * 100).toFixed(1)}%` : '-'),
  },
  figure(
    'PT KiB',
    'pageTableKiB',
    (c) => c.pageTableBytes / 1024,
    (n) => n.toFixed(0),
  ),
];

/** Placement figures of a variant, in table order. */
export const PLACEMENT_COLUMNS: readonly Column<VariantResult>[] = [
  { head: 'placed', csv: 'placed', value: (v) => v.placement.placed, text: (v) => n0(v.placement.placed) },
  { head: 'rejected', csv: 'rejected', value: (v) => v.placement.rejected, text: (v) => n0(v.placement.rejected) },
  {
    head: 'rejected by reason',
    csv: 'rejectedByReason',
    value: (v) =>
      Object.entries(v.placement.rejectedByReason)
        .map(([k, n]) => `${k} ${n}`)
        .join('; '),
    text: (v) =>
      Object.entries(v.placement.rejectedByReason)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || '-',
  },
  {
    head: 'stranded devices',
    csv: 'devicesStranded',
    value: (v) => v.placement.devicesStranded,
    text: (v) => v.placement.devicesStranded.toFixed(1),
  },
  {
    head: 'peak running',
    csv: 'peakRunning',
    value: (v) => v.placement.peakRunning,
    text: (v) => n0(v.placement.peakRunning),
  },
];

/** The device classes of a report, in the order they first appear. */
export function deviceClasses(r: SimulationReport): string[] {
  return [...new Set(r.variants.flatMap((v) => v.io.map((c) => c.deviceClass)))];
}

/** The cells of one device class, one per variant that has it. */
export function ioCells(r: SimulationReport, cls: string): IoCell[] {
  return r.variants.flatMap((variant) => {
    const figures = variant.io.find((x) => x.deviceClass === cls);
    return figures ? [{ variant, figures, ...(variant.diff?.io[cls] && { diff: variant.diff.io[cls] }) }] : [];
  });
}

const si = (x: number, unit: string) => {
  const [d, p] =
    x >= 1e12 ? [1e12, 'T'] : x >= 1e9 ? [1e9, 'G'] : x >= 1e6 ? [1e6, 'M'] : x >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${(x / d).toFixed(x >= 1e3 ? 2 : 0)} ${p}${unit}`;
};
const withChange = (text: string, r: number | undefined) => {
  const change = pct(r);
  return change ? `${text} (${change})` : text;
};

/**
 * One line per variant with the fleet-wide totals: VMs placed and rejected, and summed over the
 * placed VMs' devices the IOPS, throughput, CPU cores spent on I/O and IOMMU page-table memory,
 * each with its change against the baseline.
 */
export function headline(v: VariantResult): string {
  const t = v.totals;
  const d = v.diff?.totals;
  return (
    `${v.name}${v.baseline ? ' (baseline)' : ''}: ${n0(v.placement.placed)} VMs placed, ${n0(v.placement.rejected)} rejected` +
    `${v.diff && v.diff.placed !== 0 ? ` (${v.diff.placed > 0 ? '+' : ''}${v.diff.placed})` : ''}; ` +
    `${n0(t.vmDevices)} VM devices: ${withChange(si(t.iops, ' IOPS'), d?.iops)}, ` +
    `${withChange(si(t.gbps * 1e9, 'bit/s'), d?.gbps)}, ` +
    `${withChange(`${t.cpuCores.toFixed(1)} CPU cores on I/O`, d?.cpuCores)}, ` +
    `${withChange(`${(t.pageTableBytes / 2 ** 20).toFixed(1)} MiB`, d?.pageTableBytes)} of IOMMU page tables`
  );
}
