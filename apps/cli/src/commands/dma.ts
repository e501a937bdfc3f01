// SPDX-License-Identifier: Apache-2.0
// `iofleet dma bench`: the simulated dma_map_benchmark. Latencies are SIMULATED (charged by the
// cost model from a named hardware profile), not the wall-clock speed of the simulator; the text
// output reads like the kernel tool's (tools/dma/dma_map_benchmark.c).

import {
  DEFAULT_MAP_BENCH_PARAMS,
  formatMapBench,
  MAP_BENCH_LIMITS,
  MAP_BENCH_MODES,
  type MapBenchMode,
  parseDmaDirection,
  runMapBenchmark,
} from '@iofleet/core/bench';
import { COST_PROFILE_NAMES } from '@iofleet/core/cost';
import { numberParser } from '@iofleet/errors';
import type { Command } from 'commander';
import { action, UsageError } from '../cli-error';

interface DmaBenchOptions {
  threads: number;
  granule: number;
  dir: string;
  delayNs: number;
  seconds: number;
  modes: string;
  profile: string;
  node: number;
  dmaBits: number;
  maxIterations: number;
  seed: number;
  json?: boolean;
}

function parseModes(text: string): MapBenchMode[] {
  const modes = text.split(',').map((m) => m.trim());
  for (const m of modes) {
    if (!(MAP_BENCH_MODES as readonly string[]).includes(m)) {
      throw new UsageError(`--modes: unknown mode '${m}' (known: ${MAP_BENCH_MODES.join(', ')})`);
    }
  }
  return modes as MapBenchMode[];
}

export function registerDma(program: Command): void {
  const dma = program.command('dma').description('the simulated Linux DMA layer (dma-iommu, IOVA allocator, swiotlb)');
  dma
    .command('bench')
    .description(
      'simulated dma_map_benchmark: map/unmap latency per IOMMU mode (pt, lazy, strict, bounce),\n' +
        'in simulated time from a hardware cost profile',
    )
    .option(
      '--threads <n>',
      'benchmark threads, one per simulated CPU',
      numberParser('threads', MAP_BENCH_LIMITS.threads),
      1,
    )
    .option('--granule <pages>', 'pages per mapping', numberParser('granule', MAP_BENCH_LIMITS.granule), 1)
    .option('--dir <dir>', 'DMA direction: to, from or bidir', 'bidir')
    .option(
      '--delay-ns <n>',
      'simulated transfer time between map and unmap (dma_trans_ns)',
      numberParser('delay-ns', MAP_BENCH_LIMITS.dmaTransNs),
      0,
    )
    .option(
      '--seconds <s>',
      'simulated seconds per mode',
      numberParser('seconds', MAP_BENCH_LIMITS.seconds),
      DEFAULT_MAP_BENCH_PARAMS.seconds,
    )
    .option('--modes <list>', 'comma-separated modes: pt, lazy, strict, bounce', 'pt,lazy,strict')
    .option('--profile <name>', `cost profile (${COST_PROFILE_NAMES.join(', ')})`, 'intel-icelake-sp')
    .option('--node <n>', 'NUMA node of the threads', numberParser('node', { min: 0, max: 1023 }), 0)
    .option(
      '--dma-bits <n>',
      'DMA mask of the benchmark device',
      numberParser('dma-bits', MAP_BENCH_LIMITS.dmaBits),
      32,
    )
    .option(
      '--max-iterations <n>',
      'stop a thread after this many map/unmap pairs even before --seconds',
      numberParser('max-iterations', MAP_BENCH_LIMITS.maxIterations),
      DEFAULT_MAP_BENCH_PARAMS.maxIterations,
    )
    .option('--seed <n>', 'seed of the timing noise', numberParser('seed', { min: 0, max: 2 ** 31 }), 1)
    .option('--json', 'print { "results": [...] } as JSON')
    .action(
      action((o: DmaBenchOptions) => {
        if (!COST_PROFILE_NAMES.includes(o.profile)) {
          throw new UsageError(`--profile: unknown profile '${o.profile}' (known: ${COST_PROFILE_NAMES.join(', ')})`);
        }
        let dir: ReturnType<typeof parseDmaDirection>;
        try {
          dir = parseDmaDirection(o.dir);
        } catch {
          throw new UsageError(`--dir must be to, from or bidir, got '${o.dir}'`);
        }
        const r = runMapBenchmark({
          threads: o.threads,
          granule: o.granule,
          dir,
          dmaTransNs: o.delayNs,
          seconds: o.seconds,
          modes: parseModes(o.modes),
          profile: o.profile,
          node: o.node,
          dmaBits: o.dmaBits,
          maxIterations: o.maxIterations,
          seed: o.seed,
        });
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ profile: r.profile, results: r.results })}\n`);
          return;
        }
        process.stdout.write(`profile: ${r.profile} (simulated time)\n${formatMapBench(r.params, r.results)}`);
      }),
    );
}
