// SPDX-License-Identifier: Apache-2.0
// The Linux DMA layer (named exports; the lead wires them into src/index.ts).

export { DirectDmaOps } from './dma-direct';
export { IommuDmaOps } from './dma-iommu';
export { DMA_LOG_MAX_LINES, DmaSim, type DmaSimOptions } from './dma-sim';
export {
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_MAPPING_ERROR,
  DMA_TO_DEVICE,
  type DmaDeviceInfo,
  type DmaDirection,
  type DmaOps,
  dmaBitMask,
  dmaDevice,
  dmaMappingError,
  type ScatterEntry,
  scatterEntry,
} from './dma-types';
export {
  type FlushQueueHost,
  type FlushQueueOptions,
  FlushQueues,
  IOVA_DEFAULT_FQ_SIZE,
  IOVA_DEFAULT_FQ_TIMEOUT_NS,
  IOVA_SINGLE_FQ_SIZE,
  IOVA_SINGLE_FQ_TIMEOUT_NS,
  IovaFq,
} from './flush-queue';
export {
  IommuDmaCookie,
  type IommuDmaCookieOptions,
  type IommuDmaMode,
  X86_MSI_RESERVED,
} from './iommu-dma-cookie';
export { flsLong, IOVA_ANCHOR_PFN, IovaDomain, IovaStats } from './iova-allocator';
export { IovaRbTree, MAX_IOVA_NODES, RB_NIL } from './iova-rbtree';
export {
  DEFAULT_MAP_BENCH_PARAMS,
  DMA_MAP_MAX_GRANULE,
  DMA_MAP_MAX_SECONDS,
  DMA_MAP_MAX_THREADS,
  DMA_MAP_MAX_TRANS_DELAY_NS,
  formatMapBench,
  MAP_BENCH_MODES,
  type MapBenchMode,
  type MapBenchParams,
  type MapBenchResult,
  parseDmaDirection,
  runMapBenchMode,
  runMapBenchmark,
} from './map-benchmark';
export { MapPageTable, ModelDomain, type ModelTranslation, type PageTableLike } from './model-domain';
export { SimPageAllocator } from './page-allocator';
export { mulberry32 } from './prng';
export {
  IOVA_DEPOT_DELAY_NS,
  IOVA_MAG_SIZE,
  IOVA_RANGE_CACHE_MAX_SIZE,
  IovaCaches,
  type IovaCpuRcache,
  IovaMagazine,
  IovaRcache,
  orderBase2,
  roundupPowOfTwo,
} from './rcache';
export {
  IO_TLB_DEFAULT_SIZE,
  IO_TLB_SEGSIZE,
  IO_TLB_SHIFT,
  IO_TLB_SIZE,
  parseSwiotlbParam,
  SWIOTLB_DEFAULT_BASE,
  SWIOTLB_MAX_SLOTS,
  type SwiotlbOptions,
  type SwiotlbParam,
  SwiotlbPool,
} from './swiotlb';
