// SPDX-License-Identifier: Apache-2.0
// report.csv: one row per variant and device class (a variant without device I/O gets one row with
// an empty class), the I/O figures and their change against the baseline as ratios, and the
// variant's placement figures and fleet totals repeated on each of its rows — ready for a
// spreadsheet or a dataframe. Columns are those of the terminal table (./columns.ts).
import { stringify } from 'csv-stringify/sync';
import type { SimulationReport, VariantResult } from '../engine/simulate';
import { IO_COLUMNS, type IoCell, PLACEMENT_COLUMNS } from './columns';

const TOTALS = ['vmDevices', 'iops', 'gbps', 'cpuCores', 'pageTableBytes'] as const;

export function renderCsv(r: SimulationReport): string {
  const head = [
    'variant',
    'baseline',
    'deviceClass',
    ...IO_COLUMNS.map((c) => c.csv),
    ...PLACEMENT_COLUMNS.map((c) => c.csv),
    'assignmentDigest',
    ...TOTALS.map((k) => `fleet_${k}`),
  ];
  const row = (v: VariantResult, cell: IoCell | undefined) => [
    v.name,
    v.baseline,
    cell?.figures.deviceClass ?? '',
    ...IO_COLUMNS.map((c) => (cell ? c.value(cell) : undefined) ?? ''),
    ...PLACEMENT_COLUMNS.map((c) => c.value(v) ?? ''),
    v.placement.assignmentDigest,
    ...TOTALS.map((k) => v.totals[k]),
  ];
  const rows = r.variants.flatMap((v) =>
    v.io.length === 0
      ? [row(v, undefined)]
      : v.io.map((figures) => {
          const d = v.diff?.io[figures.deviceClass];
          return row(v, { variant: v, figures, ...(d && { diff: d }) });
        }),
  );
  return stringify([head, ...rows], { cast: { boolean: (b) => (b ? 'true' : 'false') } });
}
