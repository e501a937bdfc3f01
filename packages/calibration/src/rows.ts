// SPDX-License-Identifier: Apache-2.0
// Calibration rows (docs/model.md#calibration-rows): a published ratio of one device workload
// run to another — modes, options or both — on a host file standing for the published hardware.
// Rows carry physical workload parameters (queue depth, jobs, drive latency...), never a knob
// that bends the model for one row.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseYamlWithSchema, RUN_MODES, refineUnique } from '@iofleet/host';
import { z } from 'zod';

const run = z
  .object({
    mode: z.enum(RUN_MODES as unknown as [string, ...string[]]),
    /** `<plugin>[:key=value,...]`, as `iofleet host run --workload` takes it. */
    workload: z.string().min(1),
  })
  .strict();

export const rowSchema = z
  .object({
    id: z.string().min(1),
    source: z.string().min(1),
    /** Host file (relative to the rows file's directory... or the repository root for the built-in rows). */
    host: z.string().min(1),
    metric: z.enum(['iops', 'gbps', 'latencyP50Ns', 'latencyP99Ns', 'latencyMeanNs', 'cpuNsPerIo']),
    /**
     * Both sides drive several devices at once (`host run --devices`): 'all' functions using the
     * workload's plugin, or a list of PCI addresses; the metric is then the devices' sum.
     */
    devices: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]).optional(),
    numerator: run,
    denominator: run,
    /** The published value of metric(numerator) / metric(denominator). */
    published: z.number().positive(),
    note: z.string().optional(),
  })
  .strict();

export const rowsFileSchema = z
  .object({ $comment: z.string().optional(), rows: z.array(rowSchema).min(1) })
  .strict()
  .superRefine((f, ctx) => refineUnique(ctx, f.rows, 'id', ['rows'], 'row id'));

export type CalibrationRow = z.output<typeof rowSchema>;

/**
 * The built-in rows (measurements.json at this package's root), found through the package itself so
 * the path holds when this code is bundled into an app (tools/bundle.cjs).
 */
export const BUILTIN_ROWS_FILE = join(
  dirname(createRequire(__filename).resolve('@iofleet/calibration/package.json')),
  'measurements.json',
);

/** Reads a rows file (JSON or YAML), with errors naming file, line and path. */
export function loadRows(file: string): CalibrationRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseYamlWithSchema(text, file, rowsFileSchema).value.rows;
}
