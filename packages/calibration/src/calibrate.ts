// SPDX-License-Identifier: Apache-2.0
// Predicting calibration rows: each side of a row is one `host run` of its workload in its mode on
// the row's host file; the prediction is the ratio of the metric, compared with the published one.

import { dirname, isAbsolute, resolve } from 'node:path';
import {
  type HostRunRow,
  loadHostDescription,
  type PluginRegistry,
  parseWorkloadSpec,
  type RunMode,
  runHostWorkload,
} from '@iofleet/host';
import type { CalibrationRow } from './rows';

export interface RowResult {
  id: string;
  source: string;
  metric: CalibrationRow['metric'];
  published: number;
  predicted: number;
  /** |predicted - published| / published */
  relativeError: number;
  /** Published and predicted agree on the direction: both above 1, both below, or both within 2 % of 1. */
  orderRight: boolean;
  numerator: number;
  denominator: number;
}

/**
 * The one tolerance every row is held to (issue #16): a prediction within 25 % of the published
 * ratio, with the modes in the published order. No row has a tolerance of its own; a row that
 * cannot meet it is fixed in the model or listed, with the reason, in docs/model.md.
 */
export const CALIBRATION_TOLERANCE = 0.25;

/** A row holds when its prediction is within the tolerance and the modes are in the right order. */
export const rowHolds = (r: Pick<RowResult, 'relativeError' | 'orderRight'>): boolean =>
  r.relativeError <= CALIBRATION_TOLERANCE && r.orderRight;

/** Simulated milliseconds each side runs. */
export const CALIBRATION_RUN_MS = 20;

function side(
  row: CalibrationRow,
  which: 'numerator' | 'denominator',
  baseDir: string,
  plugins: PluginRegistry,
): HostRunRow {
  const r = row[which];
  const file = isAbsolute(row.host) ? row.host : resolve(baseDir, row.host);
  const [out] = runHostWorkload(loadHostDescription(file), {
    file,
    workload: parseWorkloadSpec(r.workload),
    modes: [r.mode as RunMode],
    plugins,
    durationMs: CALIBRATION_RUN_MS,
  });
  if (out!.pluginFault) throw new Error(`row ${row.id} ${which}: ${out!.pluginFault}`);
  return out!;
}

/** -1, 0 or 1: below, within 2 % of, or above 1 (a ratio's direction). */
const direction = (x: number) => (Math.abs(x - 1) <= 0.02 ? 0 : x > 1 ? 1 : -1);
const sameSide = (a: number, b: number) => direction(a) === direction(b);

/**
 * Predicts every row; `baseDir` resolves relative host paths (the rows file's directory).
 * `onRow(id, index, total)` is called before each row runs (progress).
 */
export function calibrate(
  rows: readonly CalibrationRow[],
  plugins: PluginRegistry,
  baseDir: string,
  onRow?: (id: string, index: number, total: number) => void,
): RowResult[] {
  return rows.map((row, i) => {
    onRow?.(row.id, i, rows.length);
    const n = side(row, 'numerator', baseDir, plugins)[row.metric];
    const d = side(row, 'denominator', baseDir, plugins)[row.metric];
    const predicted = d === 0 ? Number.POSITIVE_INFINITY : n / d;
    return {
      id: row.id,
      source: row.source,
      metric: row.metric,
      published: row.published,
      predicted,
      relativeError: Math.abs(predicted - row.published) / row.published,
      orderRight: sameSide(predicted, row.published),
      numerator: n,
      denominator: d,
    };
  });
}

export function rowsBaseDir(file: string): string {
  return dirname(resolve(file));
}
