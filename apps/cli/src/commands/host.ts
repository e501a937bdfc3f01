// SPDX-License-Identifier: Apache-2.0
// `iofleet host describe | run`: one machine — its IOMMU units, groups and boot log; and a
// device's workload under each IOMMU mode (simulated time, charged by the cost model).

import type { SimTracer } from '@iofleet/core';
import { numberOption, numberParser } from '@iofleet/errors';
import type { HostRunRow } from '@iofleet/host';
import { DEFAULT_RUN_MS, MAX_RUN_MS, RUN_MODES, type RunMode } from '@iofleet/host/run-modes';
import type { Command } from 'commander';
import { action, UsageError, warnOnce } from '../cli-error';

function parseModes(text: string): RunMode[] {
  const modes = text.split(',').map((m) => m.trim());
  for (const m of modes)
    if (!(RUN_MODES as readonly string[]).includes(m))
      throw new UsageError(`--modes: unknown mode '${m}' (known: ${RUN_MODES.join(', ')})`);
  return modes as RunMode[];
}

function pad(cells: string[][]): string {
  const w = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ')).join('\n');
}

export function formatRunTable(rows: readonly HostRunRow[]): string {
  const head = ['mode', 'domain', 'IOPS', 'Gbit/s', 'p50 µs', 'p99 µs', 'CPU ns/IO', 'IOTLB hit', 'faults', 'PT KiB'];
  const body = rows.map((r) => [
    r.mode,
    r.domainType,
    Math.round(r.iops).toLocaleString('en-US'),
    r.gbps.toFixed(2),
    (r.latencyP50Ns / 1000).toFixed(1),
    (r.latencyP99Ns / 1000).toFixed(1),
    Math.round(r.cpuNsPerIo).toString(),
    ['DMA', 'DMA-FQ', 'unmanaged'].includes(r.domainType) ? `${(r.iotlbHitRate * 100).toFixed(1)}%` : '-',
    String(r.faults),
    String(r.pageTableBytes / 1024),
  ]);
  const faults = rows.filter((r) => r.pluginFault).map((r) => `${r.mode}: ${r.pluginFault}`);
  return `${pad([head, ...body])}\n${faults.length ? `device faults:\n  ${faults.join('\n  ')}\n` : ''}`;
}

export function registerHost(program: Command): void {
  const host = program
    .command('host')
    .description('one machine: boot it from its firmware as Linux does, show its IOMMU groups, run device workloads');

  host
    .command('describe <host.yaml>')
    .description('IOMMU units, groups with their devices and default domain types, and the boot log')
    .option('--cmdline <text>', 'kernel parameters appended to the host file\'s (e.g. "iommu=pt")')
    .option('--distro <name>', 'distribution preset for the kernel defaults (e.g. rhel9, ubuntu2204)')
    .option('--json', 'print the description as JSON')
    .action(
      action(async (file: string, o: { cmdline?: string; distro?: string; json?: boolean }) => {
        const { loadHost } = await import('@iofleet/host');
        const h = loadHost(file, { ...(o.cmdline && { cmdline: o.cmdline }), ...(o.distro && { distro: o.distro }) });
        const d = h.describe();
        const warn = warnOnce();
        for (const w of d.warnings) warn(w);
        if (o.json) {
          process.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
          return;
        }
        const out: string[] = [
          `host ${d.name}: ${d.vendor}, kernel ${d.distro}, cmdline "${d.cmdline}"`,
          `IOMMU: ${d.iommuEnabled ? `on (${d.firmware})` : 'off'}`,
          '',
          'units:',
          ...d.units.map((u) => `  ${u.name} at ${u.registerBase}: ${u.devices.length} devices`),
          '',
          `groups (${d.groups.length}): /sys/kernel/iommu_groups/N  type  devices`,
          ...d.groups.map((g) => `  ${g.path.padEnd(28)} ${g.type.padEnd(8)} ${g.devices.join(' ')}`),
          ...(d.ungrouped.length ? ['', `no group: ${d.ungrouped.join(' ')}`] : []),
          '',
          'boot log:',
          ...d.bootLog.map((l) => `  ${l}`),
        ];
        process.stdout.write(`${out.join('\n')}\n`);
      }),
    );

  host
    .command('run <host.yaml>')
    .description(
      "run a device's I/O pattern under each IOMMU mode; one row per mode, in simulated time\n" +
        '(e.g. --workload nvme picks 4 KiB random reads at queue depth 32)',
    )
    .requiredOption('--workload <plugin[:k=v,...]>', 'device plugin and options, e.g. nvme:bs=4k,qd=32,rw=randread')
    .option('--modes <list>', `comma-separated IOMMU modes (${RUN_MODES.join(', ')})`, 'pt,lazy,strict')
    .option('--device <bdf>', 'PCI function to run (default: the first one using the plugin)')
    .option(
      '--devices <all|bdf,...>',
      'run several devices at once, each on its own CPUs (all: every function using the plugin); rows sum their throughput',
    )
    .option('--duration <ms>', `simulated milliseconds per mode (max ${MAX_RUN_MS})`, String(DEFAULT_RUN_MS))
    .option('--cmdline <text>', "kernel parameters appended before the mode's own")
    .option('--distro <name>', 'distribution preset for the kernel defaults')
    .option('--plugin <module...>', 'load device plugins from these modules (paths or package names)')
    .option('--json', 'print { "results": [...] } as JSON')
    .option(
      '--trace',
      'export DMA spans and a span per mode over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL; default http/protobuf to localhost:4318)',
    )
    .option('--trace-sample <n>', 'trace one DMA operation in N', numberParser('trace-sample', { min: 1 }), 100)
    .action(
      action(
        async (
          file: string,
          o: {
            workload: string;
            modes: string;
            device?: string;
            devices?: string;
            duration: string;
            cmdline?: string;
            distro?: string;
            plugin?: string[];
            json?: boolean;
            trace?: boolean;
            traceSample: number;
          },
        ) => {
          const durationMs = numberOption('duration', o.duration, {
            min: 0,
            max: MAX_RUN_MS,
            above: true,
            integer: false,
            unit: 'ms',
          });
          const modes = parseModes(o.modes);
          const { loadHostDescription, parseWorkloadSpec, runHostWorkload } = await import('@iofleet/host');
          const desc = loadHostDescription(file);
          const { pluginRegistry } = await import('../plugins.js');
          const run = (tracer?: SimTracer) =>
            runHostWorkload(desc, {
              ...(tracer && { tracer }),
              file,
              workload: parseWorkloadSpec(o.workload),
              modes,
              plugins: pluginRegistry(o.plugin),
              durationMs,
              ...(o.device && { device: o.device }),
              ...(o.devices && {
                devices: o.devices === 'all' ? ('all' as const) : o.devices.split(',').map((d) => d.trim()),
              }),
              ...(o.cmdline && { cmdline: o.cmdline }),
              ...(o.distro && { distro: o.distro }),
              onWarning: warnOnce(),
              onMode: (m, i) => {
                if (!o.json && process.stderr.isTTY) process.stderr.write(`[${i + 1}/${modes.length}] ${m}...\r`);
              },
            });
          // Traced: the spans are flushed after the results are printed, and never fail the run.
          const traced = o.trace
            ? await (await import('../trace-host-run.js')).traceHostRun(desc.name, o.traceSample, run)
            : { result: run(), flushed: Promise.resolve() };
          const rows = traced.result;
          if (o.json)
            process.stdout.write(
              `${JSON.stringify({ host: desc.name, workload: o.workload, results: rows }, null, 2)}\n`,
            );
          else
            process.stdout.write(
              `host ${desc.name}, ${rows[0]?.perDevice ? `${rows[0].perDevice.length} devices` : 'device'} ${rows[0]?.device} (${rows[0]?.plugin}), ${durationMs} ms simulated per mode\n${formatRunTable(rows)}`,
            );
          await traced.flushed;
        },
      ),
    );
}
