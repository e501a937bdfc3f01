// SPDX-License-Identifier: Apache-2.0
// `iofleet calibrate [--rows FILE] [--json]`: published IOMMU measurements vs what the model
// predicts for them (docs/model.md). Exit status 0 either way: this reports, it does not judge.
import type { calibrate } from '@iofleet/calibration';
import type { Command } from 'commander';
import { action } from '../cli-error';
import { progressBar } from '../progress';

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description(
      'run published IOMMU measurements through the host model: published vs predicted and the relative error',
    )
    .option('--rows <file>', 'calibration rows (JSON or YAML; schema in docs/model.md; default: the built-in rows)')
    .option('--plugin <module...>', 'load device plugins from these modules')
    .option('--json', 'print { "rows": [ { "id", "published", "predicted", "relativeError", ... } ] }')
    .option('--quiet', 'no progress bar')
    .action(
      action(async (o: { rows?: string; plugin?: string[]; json?: boolean; quiet?: boolean }) => {
        const { BUILTIN_ROWS_FILE, CALIBRATION_TOLERANCE, calibrate, loadRows, rowHolds, rowsBaseDir } = await import(
          '@iofleet/calibration'
        );
        const { pluginRegistry } = await import('../plugins.js');
        const rowsFile = o.rows ?? BUILTIN_ROWS_FILE;
        const input = loadRows(rowsFile);
        const plugins = pluginRegistry(o.plugin);
        // Each row boots its host twice and runs simulated time.
        const bar = await progressBar('calibrate [{bar}] {value}/{total} {row}', !o.quiet);
        bar.update(0, input.length, { row: '' });
        let rows: ReturnType<typeof calibrate>;
        try {
          rows = calibrate(input, plugins, rowsBaseDir(rowsFile), (id, i) => bar.update(i, input.length, { row: id }));
        } finally {
          bar.stop();
        }
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ rows }, null, 2)}\n`);
          return;
        }
        const w = Math.max(...rows.map((r) => r.id.length));
        const mw = Math.max(6, ...rows.map((r) => r.metric.length));
        process.stdout.write(`${'row'.padEnd(w)}  ${'metric'.padEnd(mw)}  published  predicted  error   order\n`);
        for (const r of rows)
          process.stdout.write(
            `${r.id.padEnd(w)}  ${r.metric.padEnd(mw)}  ${r.published.toFixed(3).padStart(9)}  ${r.predicted.toFixed(3).padStart(9)}  ${`${(r.relativeError * 100).toFixed(1)}%`.padStart(6)}  ${r.orderRight ? 'right' : 'WRONG'}\n`,
          );
        const good = rows.filter(rowHolds).length;
        process.stdout.write(
          `${good} of ${rows.length} rows within ${CALIBRATION_TOLERANCE * 100} % of the published ratio with the modes in the right order\n`,
        );
      }),
    );
}
