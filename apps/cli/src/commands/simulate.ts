// SPDX-License-Identifier: Apache-2.0
// `iofleet simulate <scenario.yaml>`: the fleet what-if, in embedded mode (every host model, the
// placement policy and the device workloads in this process). A terminal table by default; --json
// prints the report; --html and --out write report.json, report.csv and a self-contained
// report.html. The output directory is checked before the run, so a bad --out fails at once.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { numberParser } from '@iofleet/errors';
import type { SimulationReport } from '@iofleet/whatif';
import type { Command } from 'commander';
import { action, UsageError, warnOnce } from '../cli-error';
import { makeWritableDir } from '../out-dir';
import { progressBar } from '../progress';

/** The report as printed and written: assignments are kept out (they are for comparisons). */
export function publicReport(r: SimulationReport): Omit<SimulationReport, 'assignments'> {
  const { assignments: _a, ...rest } = r;
  return rest;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate <scenario.yaml>')
    .description(
      "fleet what-if: place the scenario's VMs on its fleet under each variant (IOMMU mode, distro, " +
        'IOTLB size, superpages, group isolation, emulated vs pass-through) and compare device I/O',
    )
    .option('--out <dir>', 'write report.json, report.csv and report.html into this directory')
    .option('--json', 'print the report as JSON')
    .option('--html', 'write report.html (into --out, default ./iofleet-report)')
    .option('--plugin <module...>', 'load device plugins from these modules')
    .option('--full', "simulate every placed VM's device I/O, not one representative host per template (slow)")
    .option('--distributed', 'run through host-agent processes and a scheduler over gRPC and BullMQ on Redis')
    .option('--redis <url>', 'Redis for --distributed (default: start a local redis-server)')
    .option('--agents <n>', 'host-agent processes for --distributed', numberParser('agents', { min: 1, max: 64 }), 2)
    .option(
      '--workers <n>',
      '--distributed: start N `iofleet worker` processes and run the device I/O as jobs on them (with any others on the same Redis); 0: on the agents',
      numberParser('workers', { min: 0, max: 64 }),
      0,
    )
    .option(
      '--trace',
      'export the DMA spans of the device runs over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL; default http/protobuf to localhost:4318)',
    )
    .option('--trace-sample <n>', 'trace one DMA operation in N', numberParser('trace-sample', { min: 1 }), 100)
    .option('--quiet', 'no progress bar')
    .action(
      action(
        async (
          file: string,
          o: {
            out?: string;
            json?: boolean;
            html?: boolean;
            plugin?: string[];
            full?: boolean;
            quiet?: boolean;
            distributed?: boolean;
            redis?: string;
            agents: number;
            workers: number;
            trace?: boolean;
            traceSample: number;
          },
        ) => {
          if (o.redis && !o.distributed) throw new UsageError('--redis goes with --distributed');
          if (o.workers > 0 && !o.distributed) throw new UsageError('--workers goes with --distributed');
          const dir = o.out ?? (o.html ? 'iofleet-report' : undefined);
          if (dir) makeWritableDir(dir, '--out');
          const { loadScenario, renderCsv, renderHtml, renderTable, simulate, simulateWith } = await import(
            '@iofleet/whatif'
          );
          const { pluginRegistry } = await import('../plugins.js');
          const bar = await progressBar(
            '{variant} {phase} [{bar}] {percentage}% {value}/{total} eta {eta_formatted}',
            !o.quiet && !o.json,
          );
          const opts = {
            plugins: pluginRegistry(o.plugin),
            full: !!o.full,
            onProgress: (variant: string, phase: string, done: number, total: number) =>
              bar.update(done, total, { variant, phase }),
          };
          let r: SimulationReport;
          let flushed = Promise.resolve();
          if (o.distributed) {
            const s = loadScenario(file);
            const { DistributedBackend } = await import('../distributed-backend.js');
            const backend = new DistributedBackend({
              agents: o.agents,
              workers: o.workers,
              namespace: process.env.IOFLEET_NAMESPACE ?? 'iofleet',
              ...(o.plugin && { plugins: o.plugin }),
              durationNs: s.duration,
              ...(o.redis && { redisUrl: o.redis }),
            });
            try {
              r = await simulateWith(s, file, opts, backend);
            } finally {
              await backend.close();
            }
          } else if (o.trace) {
            const { withSimTracing } = await import('../trace-host-run.js');
            const { ATTR_SCENARIO, SPAN_SIMULATE } = await import('@iofleet/vocabulary');
            // The spans are flushed after the report is out, and never fail the run.
            ({ result: r, flushed } = await withSimTracing(
              SPAN_SIMULATE,
              { [ATTR_SCENARIO]: file },
              o.traceSample,
              (tracer) => simulate(file, { ...opts, tracer }),
            ));
          } else r = simulate(file, opts);
          bar.stop();
          const warn = warnOnce();
          for (const w of r.warnings) warn(w);
          const report = publicReport(r);
          if (dir) {
            writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
            writeFileSync(join(dir, 'report.csv'), renderCsv(r));
            writeFileSync(join(dir, 'report.html'), renderHtml(r));
          }
          if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          else {
            process.stdout.write(renderTable(r, { width: process.stdout.isTTY ? process.stdout.columns : undefined }));
            if (dir) process.stdout.write(`report: ${resolve(dir, 'report.html')}\n`);
          }
          await flushed;
        },
      ),
    );
}
