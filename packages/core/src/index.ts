// SPDX-License-Identifier: Apache-2.0
// The public surface of @iofleet/core: every export is named here (STYLE.md item 2).

export {
  addChecked,
  type Bdf,
  bdf,
  bdfBus,
  bdfDevfn,
  bdfDevice,
  bdfFunction,
  type DomainId,
  domainId,
  formatBdf,
  formatSbdf,
  type Gpa,
  gpa,
  type Hpa,
  hpa,
  type Iova,
  iova,
  isPageAligned,
  MAX_MODEL_ADDRESS,
  PAGE_SHIFT,
  PAGE_SIZE,
  parseBdf,
} from './addresses';
export {
  CMD_BUFFER_ENTRIES,
  CMD_COMPL_WAIT,
  CMD_INV_DEV_ENTRY,
  CMD_INV_IOMMU_ALL,
  CMD_INV_IOMMU_ALL_PAGES_ADDRESS,
  CMD_INV_IOMMU_PAGES,
  CMD_INV_IOTLB_PAGES,
  CMD_INV_IRT,
  CommandBuffer,
  completionWait,
  decodeInvRange,
  invAddress,
  invDevEntry,
  invIommuAll,
  invIommuAllPages,
  invIommuPages,
  invIotlbPages,
} from './amd/commands';
export {
  blockedDte,
  type DecodedDte,
  DeviceTable,
  DTE,
  DTE_MODE_RESERVED,
  DTE_RESERVED,
  decodeDte,
  passthroughDte,
  translatingDte,
} from './amd/device-table';
export { AmdViDomain } from './amd/domain';
export {
  type AmdEvent,
  amdEventLine,
  EVENT_FLAG_PR,
  EVENT_FLAG_RW,
  EVENT_FLAG_RZ,
  EVENT_TYPE_ILL_DEV,
  EVENT_TYPE_IO_FAULT,
  type EventDevice,
  EventLog,
} from './amd/event-log';
export {
  AmdIrqTable,
  type AmdRemapResult,
  encodeIrte32,
  INTCTL_ABORT,
  INTCTL_PASS,
  INTCTL_REMAP,
  IRTE32,
} from './amd/interrupt-remap';
export { type AmdViParams, AmdViUnit, DEFAULT_AMDVI_PARAMS } from './amd/unit';
export { ALIGNED_DEFAULT_MAPPINGS, type AlignedBenchResult, runAlignedBench } from './bench/aligned-bench';
export { type CoreBenchResult, runCoreBench } from './bench/core-bench';
export {
  type CompiledField,
  compile,
  compileField,
  type FieldSpec,
  type FieldTable,
  fieldMask,
  fieldWidth,
  getField,
  halvesToNumber,
  hi32,
  lo32,
  maskOf,
  pack,
  setField,
  toBigint64,
  unpack,
} from './bits/bitfield';
export {
  DEFAULT_IOTLB_GEOMETRY,
  type IotlbGeometry,
  type IotlbLike,
  type ReplacementPolicy,
} from './caches/cache-types';
export { Iotlb } from './caches/iotlb';
export { PagingStructureCache } from './caches/paging-structure-cache';
export {
  COST_CATEGORY_COUNT,
  COST_CATEGORY_NAMES,
  COST_INVALIDATION,
  COST_IOVA,
  COST_LOCK_WAIT,
  COST_PAGE_TABLE,
  COST_SOFTWARE,
  COST_SWIOTLB,
  CostModel,
  type CostNs,
  HwSnapshot,
  type InvalidationCost,
  newInvalidationCost,
} from './cost/cost-model';
export {
  AMD_EPYC_MILAN,
  ARM_NEOVERSE_GRACE,
  COST_PROFILE_NAMES,
  COST_PROFILES,
  type CostParam,
  type CostParams,
  type CostProfile,
  getCostProfile,
  INTEL_BROADWELL_EP,
  INTEL_ICELAKE_SP,
  type MeasurementId,
} from './cost/cost-profile';
export { DirectDmaOps } from './dma/dma-direct';
export { IommuDmaOps } from './dma/dma-iommu';
export { DMA_LOG_MAX_LINES, DmaSim, type DmaSimOptions } from './dma/dma-sim';
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
} from './dma/dma-types';
export {
  type FlushQueueHost,
  type FlushQueueOptions,
  FlushQueues,
  IOVA_DEFAULT_FQ_SIZE,
  IOVA_DEFAULT_FQ_TIMEOUT_NS,
  IOVA_SINGLE_FQ_SIZE,
  IOVA_SINGLE_FQ_TIMEOUT_NS,
  IovaFq,
} from './dma/flush-queue';
export {
  IommuDmaCookie,
  type IommuDmaCookieOptions,
  type IommuDmaMode,
  X86_MSI_RESERVED,
} from './dma/iommu-dma-cookie';
export { flsLong, IOVA_ANCHOR_PFN, IovaDomain, IovaStats } from './dma/iova-allocator';
export { IovaRbTree, MAX_IOVA_NODES, RB_NIL } from './dma/iova-rbtree';
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
} from './dma/map-benchmark';
export { MapPageTable, ModelDomain, type ModelTranslation, type PageTableLike } from './dma/model-domain';
export { SimPageAllocator } from './dma/page-allocator';
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
} from './dma/rcache';
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
} from './dma/swiotlb';
export { CoreError, type CoreErrorCode, isCoreError } from './errors';
export { DomainIds } from './iommu/domain-ids';
export type { IommuDomainOps } from './iommu/domain-ops';
export {
  type AttachTarget,
  type IommuUnit,
  unitAttachDevice,
  unitCreateDomain,
  unitFreeDomain,
} from './iommu/iommu-unit';
export {
  type DmaRequest,
  newTranslationOut,
  type TranslationFault,
  type TranslationOut,
} from './iommu/translation';
export {
  type DeviceFacts,
  type DomainTypeName,
  type DriverDecision,
  domainTypeStr,
  domainTypeSysfs,
  driverEnabled,
  type FirmwareFacts,
  type GlobalDefault,
  globalDefaultDomain,
  groupDefaultDomain,
  groupDomainRequest,
  IOMMU_DOMAIN_BLOCKED,
  IOMMU_DOMAIN_DMA,
  IOMMU_DOMAIN_DMA_API,
  IOMMU_DOMAIN_DMA_FQ,
  IOMMU_DOMAIN_DMA_FQ_FLAG,
  IOMMU_DOMAIN_IDENTITY,
  IOMMU_DOMAIN_PAGING,
  IOMMU_DOMAIN_PT,
  IOMMU_DOMAIN_UNMANAGED,
  type IommuKconfig,
  type IommuVendor,
  intelCachingMode,
  type PlatformFacts,
  setDefaultPassthrough,
  setDmaStrict,
  UPSTREAM_KCONFIG,
} from './linux/default-domain';
export { DISTRO_PRESETS, type DistroPreset, getDistro, listDistros } from './linux/distro';
export {
  formIommuGroups,
  GroupBuilder,
  type GroupResult,
  PCI_ACS_CR,
  PCI_ACS_DT,
  PCI_ACS_EC,
  PCI_ACS_RR,
  PCI_ACS_SV,
  PCI_ACS_TB,
  PCI_ACS_UF,
  type PciDev,
  type PciType,
  pciAcsEnabled,
  pciAcsPathEnabled,
  REQ_ACS_FLAGS,
} from './linux/iommu-groups';
export {
  emptyCmdline,
  type IommuCmdline,
  kstrtobool,
  parseIommuCmdline,
  splitKernelArgs,
} from './linux/kernel-cmdline';
export {
  checkViable,
  DMA_ENTRY_LIMIT,
  groupViabilityBlocker,
  isVfioError,
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_WRITE,
  VfioContainer,
  type VfioDevice,
  VfioError,
  type VfioErrorCode,
  type VfioGroupInfo,
} from './linux/vfio';
export {
  DEFAULT_MAX_DATA_PAGES,
  DEFAULT_MAX_TABLE_PAGES,
  MAX_BLOCK_PAGES,
  PAGE_WORDS,
  PhysMemory,
  type PhysMemoryOptions,
} from './memory/phys-memory';
export {
  AMD_NL_DEFAULT,
  AMD_NL_SIZE,
  AMD_V1_PTE,
  type AmdPageSizes,
  type AmdV1Options,
  amdV1Format,
} from './page-table/amd-v1';
export {
  ARM_DESC,
  ARM_GRANULE_LG2,
  type ArmGranule,
  type ArmVmsav8Options,
  armLevelOf,
  armVmsav8Format,
} from './page-table/arm-vmsav8';
export {
  ENTRY_EMPTY,
  ENTRY_LEAF,
  ENTRY_TABLE,
  newWalkOut,
  type PageTableFormat,
  PERM_READ,
  PERM_RW,
  PERM_WRITE,
  WALK_ACCESS_FLAG,
  WALK_ADDRESS_SIZE,
  WALK_BAD_POINTER,
  WALK_BEYOND_WIDTH,
  WALK_NOT_PRESENT,
  WALK_OK,
  WALK_PERMISSION,
  WALK_RESERVED,
  WALK_SKIP_NONZERO,
  type WalkOut,
} from './page-table/format';
export {
  fmtIndexBits,
  fmtLevelOfSize,
  fmtLevelShift,
  fmtTableIndex,
  fmtTablePages,
  formatInputLimit,
  granuleLevelShift,
  LEVEL_STRIDE,
  levelOfSize,
  levelShift,
  MODEL_ADDRESS_LG2,
  POW2,
  pageSizesLg2,
  TABLE_ENTRIES,
  tableIndex,
} from './page-table/level-math';
export { MOCK_PTE, mockFormat } from './page-table/mock-format';
export { type MappedLeaf, PageTable } from './page-table/page-table';
export { IA32E_PTE, type VtdFirstStageOptions, vtdFirstStageFormat } from './page-table/vtd-first-stage';
export {
  VTD_SL_PTE,
  type VtdSecondStageOptions,
  type VtdWidthBits,
  vtdSecondStageFormat,
} from './page-table/vtd-second-stage';
export { MAX_LEVELS, newWalkPath, type WalkPath, walk, walkFromLevel } from './page-table/walk';
export { MAX_PENDING_TIMERS, SimClock, type TimerCallback } from './sim/sim-clock';
export { MAX_SIM_CPUS, SimCpu, SimCpuSet } from './sim/sim-cpu';
export { SimLock } from './sim/sim-lock';
export {
  CERROR,
  CMDQ_BATCH_ENTRIES,
  CmdqBatch,
  type CommandHandler,
  CommandQueue,
} from './smmu/command-queue';
export {
  ATC_INV_SIZE_ALL,
  atcInv,
  CMD,
  CMD_ATC_INV,
  CMD_BYTES,
  CMD_CFGI,
  CMD_PREFETCH,
  CMD_PRI_RESP,
  CMD_SYNC,
  CMD_TLBI,
  cfgiAll,
  cfgiCd,
  cfgiCdAll,
  cfgiSte,
  cmdSync,
  OP,
  OP_NAME,
  opcodeOf,
  PRI_RESP,
  prefetchConfig,
  priResp,
  SYNC_CS,
  type TlbiFields,
  tlbi,
  tlbiRangeBytes,
} from './smmu/commands';
export { CFG_ABORT, CFG_BYPASS, CFG_FAULT, CFG_TRANSLATE, type SmmuConfig } from './smmu/config';
export {
  CD,
  CD_BYTES,
  CdTable,
  CTXDESC_L2_ENTRIES,
  L1CD,
  LINUX_MAIR,
  type S1Cd,
  s1Cd,
} from './smmu/context-descriptor';
export { type DomainHost, SmmuDomain } from './smmu/domain';
export {
  EVT,
  EVT_BYTES,
  EVT_CLASS,
  EVT_NAME,
  EVT_RECORD,
  EventQueue,
  encodeEvent,
  linuxEventLines,
  type SmmuEvent,
} from './smmu/event-queue';
export type { PriResponse } from './smmu/executor';
export {
  atcInvDomain,
  atcRange,
  type InvDomain,
  type InvSmmu,
  tlbInvContext,
  tlbInvRange,
  tlbInvRangeDomain,
} from './smmu/linux-invalidate';
export {
  ARM64_UPSTREAM_KCONFIG,
  armSmmuDefDomainType,
  SMMU_LINUX_VERSION,
} from './smmu/linux-policy';
export {
  ARM_SMMU_FEAT,
  CR0,
  CR1,
  CR2,
  DEFAULT_LINUX_SMMU_ENV,
  DEFAULT_SMMUV3_PARAMS,
  GBPA,
  type GranuleName,
  IDR0,
  IDR1,
  IDR3,
  IDR5,
  idrRegisters,
  type LinuxSmmuEnv,
  type LinuxSmmuProbe,
  linuxBootLines,
  linuxProbe,
  OAS_BITS,
  Q_BASE,
  Q_CONS,
  SMMU_REG,
  type SmmuV3Params,
  STRTAB_BASE,
  STRTAB_BASE_CFG,
} from './smmu/registers';
export {
  abortSte,
  bypassSte,
  type CdTableSte,
  cdTableSte,
  EATS,
  L1STD,
  S1DSS,
  S1FMT,
  type S2Ste,
  STE,
  STE_BYTES,
  STE_CONFIG,
  STRTAB_SPLIT,
  STRW,
  StreamTable,
  s2DomainSte,
} from './smmu/stream-table';
export { CTX_NESTED, CTX_S1, CTX_S2, MAX_TLB_CONTEXTS, TlbContexts } from './smmu/tlb-contexts';
export {
  type SmmuAttachOptions,
  type SmmuAttachTarget,
  SmmuV3Unit,
  type SmmuV3UnitOptions,
} from './smmu/unit';
export {
  HW_CONTEXT_CACHE_HIT,
  HW_CONTEXT_CACHE_MISS,
  HW_COUNTER_COUNT,
  HW_COUNTER_NAMES,
  HW_DEVICE_IOTLB_INV,
  HW_FAULTS,
  HW_INTERRUPTS_REMAPPED,
  HW_INV_DESCRIPTORS,
  HW_INV_WAITS,
  HW_IOTLB_ENTRIES_INVALIDATED,
  HW_IOTLB_HIT,
  HW_IOTLB_MISS,
  HW_PSC_HIT,
  HW_PTE_WRITES,
  HW_TABLE_PAGES_ALLOCATED,
  HW_TABLE_PAGES_FREED,
  HW_TRANSLATIONS,
  HW_WALK_MEM_READS,
  HwCounters,
} from './stats/hw-counters';
export {
  NOOP_TRACER,
  type RecordedSpan,
  RecordingTracer,
  type SimAttributes,
  type SimAttributeValue,
  type SimSpan,
  type SimTracer,
} from './trace/sim-tracer';
export { calculatePsiAlignedAddress, MAX_AGAW_PFN_WIDTH, VtdDomain } from './vtd/domain';
export { dmarFaultLine, type FaultRecord, FaultRecorder, faultReasonText, VtdFault } from './vtd/faults';
export {
  encodeIrte,
  InterruptRemapTable,
  IR_FAULT,
  IRTE,
  type Msi,
  type RemappedInterrupt,
  type RemapResult,
  remappableMsiAddress,
} from './vtd/interrupt-remap';
export {
  contextCacheDesc,
  DESC_CONTEXT_CACHE,
  DESC_DEV_IOTLB,
  DESC_IEC,
  DESC_IOTLB,
  DESC_WAIT,
  descType,
  devIotlbDesc,
  InvalidationQueue,
  iecDesc,
  iotlbDesc,
  QI_ABORT,
  QI_CC_TYPE,
  QI_DIOTLB_TYPE,
  QI_DONE,
  QI_FREE,
  QI_GRAN_DOMAIN,
  QI_GRAN_GLOBAL,
  QI_GRAN_PAGE,
  QI_IEC_TYPE,
  QI_IN_USE,
  QI_IOTLB_TYPE,
  QI_IWD_TYPE,
  QI_LENGTH,
  waitDesc,
} from './vtd/invalidation';
export {
  agaw,
  CAP_REG,
  capReg,
  DEFAULT_VTD_PARAMS,
  domainIdCount,
  ECAP_REG,
  ecapReg,
  sagaw,
  sagawBit,
  supportedWidths,
  type VtdParams,
} from './vtd/registers';
export {
  CONTEXT_ENTRY,
  CONTEXT_TT_DEV_IOTLB,
  CONTEXT_TT_MULTI_LEVEL,
  CONTEXT_TT_PASS_THROUGH,
  type ContextEntry,
  decodeContext,
  encodeContext,
  encodeRoot,
  ROOT_ENTRY,
  RootTable,
} from './vtd/root-context';
export {
  encodePasidEntry,
  PASID_DIR_ENTRY,
  PASID_ENTRY,
  PASID_MAX,
  type PasidEntryFields,
  PGTT_FIRST_STAGE,
  PGTT_NESTED,
  PGTT_PASS_THROUGH,
  PGTT_SECOND_STAGE,
  ScalableModeTables,
  SM_CONTEXT_ENTRY,
  SM_FAULT,
  SM_ROOT_ENTRY,
} from './vtd/scalable-mode';
export { ScalableTranslator } from './vtd/scalable-translate';
export { VtdUnit, type VtdUnitOptions } from './vtd/unit';
