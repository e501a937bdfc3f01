// SPDX-License-Identifier: Apache-2.0
// @iofleet/core/bench: benchmarks that run whole stacks (the kernel's dma_map_benchmark, the
// aligned-core and core benches the CLI's `iofleet bench` commands print). Every export named.

export { ALIGNED_DEFAULT_MAPPINGS, type AlignedBenchResult, runAlignedBench } from './aligned-bench';
export {
  BARE_BATCH,
  BareTables,
  type BareWalkResult,
  bareTables,
  bareWalk,
  bareWalkBatch,
  runBareWalks,
} from './bare-walk';
export { type CoreBenchResult, runCoreBench } from './core-bench';
export {
  DEFAULT_MAP_BENCH_PARAMS,
  formatMapBench,
  MAP_BENCH_LIMITS,
  MAP_BENCH_MODES,
  type MapBenchMode,
  type MapBenchParams,
  type MapBenchResult,
  parseDmaDirection,
  runMapBenchmark,
} from './map-benchmark';
