// SPDX-License-Identifier: Apache-2.0
// `iofleet bench ...`: benchmarks of the simulator itself (wall-clock speed of the model), as
// opposed to the simulated latencies the model predicts. Figures are printed as one JSON object
// with --json; run them side by side in one process when comparing (the machine is shared).

import { join } from 'node:path';
import { runAlignedBench, runCoreBench } from '@iofleet/core/bench';
import { numberParser } from '@iofleet/errors';
import { benchPurePlacement, MAX_FLEET_HOSTS, MAX_VMS } from '@iofleet/placement';
import { type Command, Option } from 'commander';
import { action, CliError, UsageError } from '../cli-error';
import { DEFAULT_AGENT_TEMPLATE, EXAMPLE_SCENARIOS_DIR } from '../paths';
import { progressBar } from '../progress';

/** A commander parser for `--name <n>`: a positive integer, at most `max` when given. */
export function positiveInt(name: string, max?: number): (v: string) => number {
  return numberParser(name, { min: 1, ...(max !== undefined && { max }) });
}

/** --hosts and --vms of the placement and fleet benches: the bounds a scenario has. */
const hostsArg = positiveInt('hosts', MAX_FLEET_HOSTS);
const vmsArg = positiveInt('vms', MAX_VMS);

export function registerBench(program: Command): void {
  const bench = program
    .command('bench')
    .description('benchmarks of the simulator: translations, placements, agent round trips per second');

  bench
    .command('startup')
    .description(
      'wall time of starting the iofleet command (--version, --help, simulate --help; target under 0.5 s),\n' +
        'median and p90 over --runs new processes, beside `node -e 0` measured in the same loop',
    )
    .option('--runs <n>', 'processes per case', positiveInt('runs'), 10)
    .option('--json', 'print one JSON object')
    .action(
      action(async (opts: { runs: number; json?: boolean }) => {
        const { benchStartup } = await import('../bench-startup.js');
        const r = benchStartup(opts.runs);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(r)}\n`);
          return;
        }
        const floor = r.medianMs.nodeFloor!;
        process.stdout.write(`start-up wall time over ${r.runs} runs each (median / p90, ms; x node -e 0)\n`);
        for (const k of Object.keys(r.medianMs))
          process.stdout.write(
            `  ${k.padEnd(13)} ${r.medianMs[k]!.toFixed(0).padStart(5)} / ${r.p90Ms[k]!.toFixed(0).padStart(5)}   x${(r.medianMs[k]! / floor).toFixed(2)}\n`,
          );
      }),
    );

  bench
    .command('core')
    .description(
      'Translations per second of the hardware model (VT-d, AMD-Vi and SMMUv3 units, 4-level tables): IOTLB hits ' +
        'and page walks (IOTLB always missing) of each, each figure over >= --seconds. --vs-c instead holds the VT-d ' +
        'unit against the C reference on the same work.',
    )
    .option(
      '--seconds <s>',
      'minimum wall time per figure',
      numberParser('seconds', { min: 0, max: 3600, above: true, integer: false }),
      1,
    )
    .option(
      '--vs-c',
      'instead: the C reference (bench-c/cref.c, cc -O2) and the VT-d unit on the same work, ratios TS / C ' +
        "(IOTLB hits with FIFO replacement, as cref.c's round-robin, and with LRU)",
    )
    .option('--mappings <n>', '--vs-c: dense 4 KiB mappings', positiveInt('mappings'), 1 << 20)
    .option(
      '--rounds <n>',
      '--vs-c: rounds, each C then TypeScript, each in a process of its own (ratios are medians)',
      positiveInt('rounds'),
      1,
    )
    .option(
      '--bounds',
      "--vs-c: also cref.c's walk transcribed to plain JavaScript on the same work, with no IOMMU semantics " +
        '(one walk after another, and 16 interleaved level by level): the ceiling any walk in JavaScript works under',
    )
    .option('--json', 'print one JSON object')
    // --vs-c's TypeScript side of one round, run by --vs-c in a process of its own.
    .addOption(new Option('--vs-c-ts-side').hideHelp())
    .action(
      action(
        async (opts: {
          seconds: number;
          vsC?: boolean;
          vsCTsSide?: boolean;
          mappings: number;
          rounds: number;
          bounds?: boolean;
          json?: boolean;
        }) => {
          if (opts.bounds && !opts.vsC && !opts.vsCTsSide) throw new UsageError('--bounds goes with --vs-c');
          if (opts.vsCTsSide) {
            process.stdout.write(`${JSON.stringify(runAlignedBench(opts.mappings, opts.seconds, opts.bounds))}\n`);
            return;
          }
          if (opts.vsC) {
            const { benchVsC } = await import('../bench-vs-c.js');
            const v = benchVsC(opts.mappings, opts.rounds, opts.seconds, opts.bounds);
            if (opts.json) {
              process.stdout.write(`${JSON.stringify(v)}\n`);
              return;
            }
            const m = (x: number) => `${(x / 1e6).toFixed(2)} M`.padStart(9);
            process.stdout.write(
              `VT-d unit vs C reference (${v.compiler} -O2), ${v.mappings} dense 4 KiB mappings; translations per second\n` +
                v.rounds
                  .map(
                    (r, i) =>
                      `  round ${i + 1}: walks C ${m(r.c.pageWalkTranslationsPerSec)}  TS ${m(r.ts.pageWalkTranslationsPerSec)}  x${r.walkRatio.toFixed(3)}` +
                      `   IOTLB hits C ${m(r.c.iotlbHitTranslationsPerSec)}  TS ${m(r.ts.iotlbHitTranslationsPerSec)}  x${r.iotlbHitRatio.toFixed(3)}` +
                      `  (LRU: TS ${m(r.ts.iotlbHitLruTranslationsPerSec ?? 0)}  x${r.iotlbHitLruRatio.toFixed(3)})\n` +
                      (r.ts.bounds
                        ? `           bare JS walk, no IOMMU semantics: one by one ${m(r.ts.bounds.bareWalksPerSec)}  x${r.bareWalkRatio!.toFixed(3)}` +
                          `   16 interleaved ${m(r.ts.bounds.bareInterleavedWalksPerSec)}  x${r.bareInterleavedWalkRatio!.toFixed(3)}\n`
                        : ''),
                  )
                  .join('') +
                `  median ratio TS / C: walks x${v.walkRatio.toFixed(3)}, IOTLB hits x${v.iotlbHitRatio.toFixed(3)} ` +
                `(round-robin/FIFO as cref.c; with LRU x${v.iotlbHitLruRatio.toFixed(3)})\n` +
                (v.bareWalkRatio !== undefined
                  ? `  ceiling, median ratio to C's walks: bare JS walk x${v.bareWalkRatio.toFixed(3)}, ` +
                    `16 interleaved x${v.bareInterleavedWalkRatio!.toFixed(3)} (not translations: bench/bare-walk.ts)\n`
                  : ''),
            );
            return;
          }
          const r = runCoreBench(opts.seconds);
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(r)}\n`);
            return;
          }
          process.stdout.write(
            `translations per second, ${r.levels}-level walks (wall clock of the model)\n` +
              `  VT-d   IOTLB hit ${(r.iotlbHitTranslationsPerSec / 1e6).toFixed(2)} M   page walk ${(r.pageWalkTranslationsPerSec / 1e6).toFixed(2)} M\n` +
              `  AMD-Vi IOTLB hit ${(r.amdIotlbHitTranslationsPerSec / 1e6).toFixed(2)} M   page walk ${(r.amdPageWalkTranslationsPerSec / 1e6).toFixed(2)} M\n` +
              `  SMMUv3 IOTLB hit ${(r.smmuIotlbHitTranslationsPerSec / 1e6).toFixed(2)} M   page walk ${(r.smmuPageWalkTranslationsPerSec / 1e6).toFixed(2)} M\n` +
              `  heap allocated per translation (most of the three): hit ${r.iotlbHitHeapBytesPerTranslation.toFixed(1)} B   page walk ${r.pageWalkHeapBytesPerTranslation.toFixed(1)} B\n`,
          );
        },
      ),
    );

  bench
    .command('placement')
    .description(
      'placements per second of the IOMMU-group-aware placement policy alone (purePlacementsPerSec), and\n' +
        'end to end through gRPC, BullMQ, a real redis-server and host agents (endToEndPlacementsPerSec,\n' +
        'p99PlacementLatencyMs); checks that no device was assigned twice',
    )
    .option('--hosts <n>', 'hosts in the fleet', hostsArg, 5000)
    .option('--vms <n>', 'VM requests to place', vmsArg, 20000)
    .option('--seed <n>', 'seed of the request mix', positiveInt('seed'), 1)
    .option('--pure-only', 'only the policy alone (no Redis, no processes)')
    .option('--agents <n>', 'host-agent processes for the end-to-end run', positiveInt('agents'), 2)
    .option('--schedulers <n>', 'scheduler processes for the end-to-end run', positiveInt('schedulers'), 1)
    .option('--json', 'print one JSON object')
    .action(
      action(
        async (opts: {
          hosts: number;
          vms: number;
          seed: number;
          pureOnly?: boolean;
          agents: number;
          schedulers: number;
          json?: boolean;
        }) => {
          const r = benchPurePlacement(opts.hosts, opts.vms, opts.seed);
          const tty = !opts.json && process.stderr.isTTY;
          const e2e = opts.pureOnly
            ? null
            : await (await import('../bench-e2e.js')).benchEndToEnd({
                hosts: opts.hosts,
                vms: opts.vms,
                agents: opts.agents,
                schedulers: opts.schedulers,
                onProgress: (d, t) => {
                  if (tty) process.stderr.write(`end to end: ${d}/${t}\r`);
                },
              });
          // A double assignment anywhere counts: the policy alone or the whole system.
          const doubleAssignedDevices = r.doubleAssignedDevices + (e2e?.doubleAssignedDevices ?? 0);
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ ...r, ...(e2e && { ...e2e }), doubleAssignedDevices })}\n`);
            return;
          }
          process.stdout.write(
            `placement policy: ${r.vms} VMs on ${r.hosts} hosts in ${r.wallSeconds.toFixed(2)} s\n` +
              `  purePlacementsPerSec      ${r.purePlacementsPerSec.toFixed(0)}\n` +
              `  placed / rejected         ${r.placed} / ${r.rejected}\n` +
              (e2e
                ? `end to end (gRPC, BullMQ, Redis, ${opts.agents} agents, ${opts.schedulers} schedulers), ${e2e.e2eSeconds.toFixed(1)} s\n` +
                  `  endToEndPlacementsPerSec  ${e2e.endToEndPlacementsPerSec.toFixed(0)}\n` +
                  `  p99PlacementLatencyMs     ${e2e.p99PlacementLatencyMs.toFixed(0)}  (p50 ${e2e.p50PlacementLatencyMs.toFixed(0)})\n` +
                  `  running / failed          ${e2e.running} / ${e2e.failed}\n` +
                  `  CPU ms per VM             scheduler ${e2e.schedulerCpuMsPerVm.toFixed(2)}, agents ${e2e.agentCpuMsPerVm.toFixed(2)}, redis ${e2e.redisCpuMsPerVm.toFixed(2)}, client ${e2e.clientCpuMsPerVm.toFixed(2)}  (load average ${e2e.loadAverage1m.toFixed(1)})\n`
                : '') +
              `  doubleAssignedDevices     ${doubleAssignedDevices}\n`,
          );
        },
      ),
    );

  bench
    .command('agent')
    .description(
      'starts a host agent on a loopback port and measures over real gRPC: attach+detach round trips\n' +
        'per second (attachDetachPerSec) and RunWorkload calls per second (workloadCallsPerSec)',
    )
    .option('--template <host.yaml>', 'host file the agent serves', DEFAULT_AGENT_TEMPLATE)
    .option(
      '--seconds <s>',
      'wall time per figure',
      numberParser('seconds', { min: 0, max: 600, above: true, integer: false }),
      2,
    )
    .option(
      '--concurrency <n>',
      'VMs cycling attach/detach at once, each on its own IOMMU group (the agent serves enough copies of the host)',
      positiveInt('concurrency'),
      8,
    )
    .option('--json', 'print one JSON object')
    .action(
      action(async (opts: { template: string; seconds: number; concurrency: number; json?: boolean }) => {
        const { benchAgent } = await import('../bench-agent.js');
        const r = await benchAgent(opts.seconds, opts.template, opts.concurrency);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(r)}\n`);
          return;
        }
        process.stdout.write(
          `host agent over loopback gRPC (device ${r.device})\n` +
            `  attachDetachPerSec   ${r.attachDetachPerSec.toFixed(0)}  (${r.attachDetachRoundTrips} round trips, ${r.concurrency} VMs at once, each its own IOMMU group, over ${r.hosts} host(s))\n` +
            `  one VM at a time     ${r.attachDetachSequentialPerSec.toFixed(0)} per second\n` +
            `  workloadCallsPerSec  ${r.workloadCallsPerSec.toFixed(1)}  (${r.workloadCalls} calls of ${r.workloadSimulatedNs / 1000} µs simulated)\n`,
        );
      }),
    );

  bench
    .command('distributed [scenario.yaml]')
    .description(
      "--full what-if (every placed VM's device I/O) embedded vs distributed with --workers worker processes, " +
        'side by side in one run, alternating, --repeat times: wall seconds, speedup (embedded / distributed), ' +
        'and whether both gave the same placements and figures. Default scenario: pt-vs-translated with --vms 300.\n\n' +
        'Distributed pays where the device I/O is the expensive part: --duration 1000 runs each workload for ' +
        "1 s of simulated time instead of the scenario's (docs/simulate.md has the figures).",
    )
    .option('--vms <n>', "VMs of the (Poisson) scenario: scales the run's cost", positiveInt('vms'))
    .option(
      '--duration <ms>',
      "simulated milliseconds each device workload runs for, instead of the scenario's duration (the I/O's cost)",
      positiveInt('duration'),
    )
    .option('--workers <n>', 'worker processes taking the device I/O jobs', positiveInt('workers'), 2)
    .option('--agents <n>', 'host-agent processes per variant', positiveInt('agents'), 2)
    .option('--repeat <n>', 'rounds (each runs both, one after the other)', positiveInt('repeat'), 3)
    .option('--redis <url>', 'Redis to use (default: start a local redis-server)')
    .option('--json', 'print one JSON object')
    .action(
      action(
        async (
          file: string | undefined,
          opts: {
            vms?: number;
            duration?: number;
            workers: number;
            agents: number;
            repeat: number;
            redis?: string;
            json?: boolean;
          },
        ) => {
          const { benchDistributed } = await import('../bench-distributed.js');
          const scenarioFile = file ?? join(EXAMPLE_SCENARIOS_DIR, 'pt-vs-translated.yaml');
          const r = await benchDistributed({
            scenarioFile,
            vms: opts.vms ?? (file ? undefined : 300),
            ...(opts.duration !== undefined && { durationMs: opts.duration }),
            workers: opts.workers,
            agents: opts.agents,
            repeat: opts.repeat,
            ...(opts.redis && { redisUrl: opts.redis }),
            onProgress: (line) => {
              if (!opts.json) process.stderr.write(`${line}\n`);
            },
          });
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(r)}\n`);
            return;
          }
          process.stdout.write(
            `${r.scenario}: ${r.vms} VMs, ${r.variants} variants, ${r.durationMs} ms of simulated I/O per workload, --full; distributed with ${r.workers} workers, ${r.agents} agents per variant\n` +
              r.rounds
                .map(
                  (x, i) =>
                    `  round ${i + 1}: embedded ${x.embeddedSeconds.toFixed(1)} s, distributed ${x.distributedSeconds.toFixed(1)} s, speedup ${x.speedup.toFixed(2)}x, ${x.sameDigests && x.sameFigures ? 'same placements and figures' : 'DIFFERENT results'}; CPU ${x.embeddedCpuSeconds.toFixed(1)} s embedded, ${x.distributedCpuSeconds.toFixed(1)} s distributed (all processes)\n` +
                    `    distributed CPU s by process: ${Object.entries(x.distributedCpuByRole)
                      .map(([k, s]) => `${k} ${s.toFixed(1)}`)
                      .join(', ')}\n` +
                    x.phases
                      .map(
                        (p) =>
                          `    ${p.variant}: processes started ${p.startSeconds.toFixed(1)} s, placement ${p.placementSeconds.toFixed(1)} s, I/O after it ${p.ioSeconds.toFixed(1)} s\n`,
                      )
                      .join(''),
                )
                .join('') +
              `  median speedup ${r.medianSpeedup.toFixed(2)}x; results ${r.identical ? 'identical in every round' : 'DIFFER'}\n`,
          );
          if (!r.identical) throw new CliError('distributed results differ from embedded');
        },
      ),
    );

  bench
    .command('fleet')
    .description(
      'wall time of an embedded what-if: --hosts GPU nodes, --vms VMs, three variants (pt, lazy, strict)\n' +
        'with device I/O; prints wallSeconds (target: 10,000 hosts and 40,000 VMs within 60 s)',
    )
    .option('--hosts <n>', 'hosts in the fleet', hostsArg, 10_000)
    .option('--vms <n>', 'VMs arriving', vmsArg, 40_000)
    .option('--full', "every placed VM's device I/O (as simulate --full); reports vmIoRunsPerSec")
    .option('--json', 'print one JSON object')
    .action(
      action(async (opts: { hosts: number; vms: number; full?: boolean; json?: boolean }) => {
        const { benchFleet } = await import('../bench-fleet.js');
        const bar = await progressBar('{variant} {phase} [{bar}] {percentage}% {value}/{total}', !opts.json);
        const r = benchFleet(opts.hosts, opts.vms, !!opts.full, (variant, phase, done, total) =>
          bar.update(done, total, { variant, phase }),
        );
        bar.stop();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(r)}\n`);
          return;
        }
        process.stdout.write(
          `what-if of ${r.hosts} hosts, ${r.vms} VMs, ${r.variants} variants${r.full ? ', --full' : ''} in ${r.wallSeconds.toFixed(1)} s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB\n` +
            `  placed / rejected (all variants)  ${r.placed} / ${r.rejected}\n` +
            `  VM-I/O runs                       ${r.ioRuns} (${r.vmIoRunsPerSec.toFixed(0)} per second; ${r.ioRunsExecuted} simulated, identical runs once per variant)\n`,
        );
      }),
    );
}
