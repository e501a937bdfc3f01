// SPDX-License-Identifier: Apache-2.0
// `iofleet calibrate [--rows FILE] [--json] [--cross-validate]`: published IOMMU measurements vs
// what the model predicts for them (docs/model.md). Exit status 0 either way: this reports, it
// does not judge. --cross-validate refits nothing: it tells, leave-one-source-out, which rows
// depend on cost-profile parameters set from their own source (packages/calibration/src/cross-validate.ts).
import type { CrossValidation, calibrate } from '@iofleet/calibration';
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
    .option(
      '--cross-validate',
      'refit nothing; leave-one-source-out: which rows depend on parameters set from their own source (in-sample) and which are predicted out of sample',
    )
    .action(
      action(
        async (o: { rows?: string; plugin?: string[]; json?: boolean; quiet?: boolean; crossValidate?: boolean }) => {
          const {
            BUILTIN_ROWS_FILE,
            CALIBRATION_TOLERANCE,
            calibrate,
            crossValidate,
            loadRows,
            rowHolds,
            rowsBaseDir,
          } = await import('@iofleet/calibration');
          const { pluginRegistry } = await import('../plugins.js');
          const rowsFile = o.rows ?? BUILTIN_ROWS_FILE;
          const input = loadRows(rowsFile);
          const plugins = pluginRegistry(o.plugin);
          // Each row boots its host twice and runs simulated time.
          const bar = await progressBar('calibrate [{bar}] {value}/{total} {row}', !o.quiet);
          bar.update(0, input.length, { row: '' });
          let rows: ReturnType<typeof calibrate>;
          let cv: CrossValidation[] | undefined;
          const progress = (id: string, i: number) => bar.update(i, input.length, { row: id });
          try {
            if (o.crossValidate) {
              cv = crossValidate(input, plugins, rowsBaseDir(rowsFile), progress);
              rows = cv.map((c) => c.result);
            } else rows = calibrate(input, plugins, rowsBaseDir(rowsFile), progress);
          } finally {
            bar.stop();
          }
          if (cv) {
            printCrossValidation(cv, CALIBRATION_TOLERANCE, rowHolds, !!o.json);
            return;
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
        },
      ),
    );
}

function printCrossValidation(
  cv: CrossValidation[],
  tolerance: number,
  holds: (r: CrossValidation['result']) => boolean,
  json: boolean,
): void {
  if (json) {
    const rows = cv.map(({ result, ...c }) => ({ ...c, relativeError: result.relativeError, holds: holds(result) }));
    process.stdout.write(`${JSON.stringify({ crossValidation: rows }, null, 2)}\n`);
    return;
  }
  const w = Math.max(3, ...cv.map((c) => c.id.length));
  process.stdout.write(
    `${'row'.padEnd(w)}  source   error   shift  sample  parameters set from its source (* moves the row; each x1.2)\n`,
  );
  for (const c of cv)
    process.stdout.write(
      `${c.id.padEnd(w)}  ${(c.publication.join('+') || '-').padEnd(7)}  ${`${(c.result.relativeError * 100).toFixed(1)}%`.padStart(6)}  ${`${(c.shift * 100).toFixed(1)}%`.padStart(6)}  ${(c.inSample ? 'IN' : 'out').padEnd(6)}  ${c.selfParameters.map((p) => (c.dependsOn.includes(p) ? `${p}*` : p)).join(', ') || '-'}\n`,
    );
  const out = cv.filter((c) => !c.inSample);
  process.stdout.write(
    `${cv.length - out.length} of ${cv.length} rows depend on parameters set from their own source (in-sample); ` +
      `${out.filter((c) => holds(c.result)).length} of the ${out.length} out-of-sample rows within ${tolerance * 100} % with the modes in the right order\n`,
  );
}
