// SPDX-License-Identifier: Apache-2.0
// `iofleet simulate <scenario.yaml>`: the fleet what-if, in embedded mode (every host model, the
// placement policy and the device workloads in this process). A terminal table by default; --json
// prints the report; --html and --out write a self-contained HTML report and report.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderHtml, renderTable, type SimulationReport, simulate } from '@iofleet/whatif';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { action } from '../cli-error';
import { pluginRegistry } from '../plugins';

/** The report as printed and written: assignments are kept out (they are for comparisons). */
export function publicReport(r: SimulationReport): Omit<SimulationReport, 'assignments'> {
  const { assignments: _a, ...rest } = r;
  return rest;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate <scenario.yaml>')
    .description(
      "fleet what-if: place the scenario's VMs on its fleet under each variant (IOMMU mode, distro,\n" +
        'IOTLB size, superpages, group isolation, emulated vs pass-through) and compare device I/O',
    )
    .option('--out <dir>', 'write report.json and report.html into this directory')
    .option('--json', 'print the report as JSON')
    .option('--html', 'write report.html (into --out, default ./iofleet-report)')
    .option('--plugin <module...>', 'load device plugins from these modules')
    .option('--full', "simulate every placed VM's device I/O, not one representative host per template (slow)")
    .option('--quiet', 'no progress bar')
    .action(
      action(
        (
          file: string,
          o: { out?: string; json?: boolean; html?: boolean; plugin?: string[]; full?: boolean; quiet?: boolean },
        ) => {
          const bar =
            !o.quiet && !o.json && process.stderr.isTTY
              ? new SingleBar({
                  format: '{variant} {phase} [{bar}] {percentage}%',
                  clearOnComplete: true,
                  stream: process.stderr,
                })
              : null;
          let started = false;
          const r = simulate(file, {
            plugins: pluginRegistry(o.plugin),
            full: !!o.full,
            onProgress: (variant, phase, done, total) => {
              if (!bar) return;
              if (!started) {
                bar.start(total, 0, { variant, phase });
                started = true;
              }
              bar.setTotal(total);
              bar.update(done, { variant, phase });
            },
          });
          bar?.stop();
          const report = publicReport(r);
          const dir = o.out ?? (o.html ? 'iofleet-report' : undefined);
          if (dir) {
            mkdirSync(dir, { recursive: true });
            writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
            writeFileSync(join(dir, 'report.html'), renderHtml(r));
          }
          if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          else {
            process.stdout.write(renderTable(r));
            if (dir) process.stdout.write(`report: ${resolve(dir, 'report.html')}\n`);
          }
        },
      ),
    );
}
