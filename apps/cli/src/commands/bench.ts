// SPDX-License-Identifier: Apache-2.0
// `iofleet bench ...`: benchmarks of the simulator itself (wall-clock speed of the model), as
// opposed to the simulated latencies the model predicts. Figures are printed as one JSON object
// with --json; run them side by side in one process when comparing (the machine is shared).
import { runCoreBench } from '@iofleet/core';
import { benchPurePlacement } from '@iofleet/placement';
import type { Command } from 'commander';
import { action, CliError } from '../cli-error';

export function positiveInt(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new CliError(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
}

export function registerBench(program: Command): void {
  const bench = program
    .command('bench')
    .description('benchmarks of the simulator: translations per second, placements per second');

  bench
    .command('core')
    .description(
      'translations per second of the hardware model (VT-d and AMD-Vi units, 4-level tables):\n' +
        'iotlbHitTranslationsPerSec and pageWalkTranslationsPerSec (IOTLB always missing), each over >= --seconds',
    )
    .option(
      '--seconds <s>',
      'minimum wall time per figure',
      (v) => {
        const n = Number(v);
        if (!(n > 0)) throw new CliError(`--seconds must be a positive number, got '${v}'`);
        return n;
      },
      1,
    )
    .option('--json', 'print one JSON object')
    .action(
      action((opts: { seconds: number; json?: boolean }) => {
        const r = runCoreBench(opts.seconds);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(r)}\n`);
          return;
        }
        process.stdout.write(
          `translations per second, ${r.levels}-level walks (wall clock of the model)\n` +
            `  VT-d   IOTLB hit ${(r.iotlbHitTranslationsPerSec / 1e6).toFixed(2)} M   page walk ${(r.pageWalkTranslationsPerSec / 1e6).toFixed(2)} M\n` +
            `  AMD-Vi IOTLB hit ${(r.amdIotlbHitTranslationsPerSec / 1e6).toFixed(2)} M   page walk ${(r.amdPageWalkTranslationsPerSec / 1e6).toFixed(2)} M\n`,
        );
      }),
    );

  bench
    .command('placement')
    .description(
      'placements per second of the IOMMU-group-aware placement policy alone (purePlacementsPerSec)\n' +
        'on a synthetic fleet of GPU/NVMe/NIC hosts; also checks that no device was assigned twice',
    )
    .option('--hosts <n>', 'hosts in the fleet', positiveInt('hosts'), 5000)
    .option('--vms <n>', 'VM requests to place', positiveInt('vms'), 20000)
    .option('--seed <n>', 'seed of the request mix', positiveInt('seed'), 1)
    .option('--json', 'print one JSON object')
    .action(
      action((opts: { hosts: number; vms: number; seed: number; json?: boolean }) => {
        const r = benchPurePlacement(opts.hosts, opts.vms, opts.seed);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(r)}\n`);
          return;
        }
        process.stdout.write(
          `placement policy: ${r.vms} VMs on ${r.hosts} hosts in ${r.wallSeconds.toFixed(2)} s\n` +
            `  purePlacementsPerSec  ${r.purePlacementsPerSec.toFixed(0)}\n` +
            `  placed / rejected     ${r.placed} / ${r.rejected}\n` +
            `  doubleAssignedDevices ${r.doubleAssignedDevices}\n`,
        );
      }),
    );
}
