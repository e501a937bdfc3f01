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
export { CoreError, type CoreErrorCode, isCoreError } from './errors';
export type { IommuDomainOps } from './iommu/domain-ops';
export {
  type DmaRequest,
  newTranslationOut,
  type TranslationFault,
  type TranslationOut,
} from './iommu/translation';
export {
  DEFAULT_MAX_DATA_PAGES,
  DEFAULT_MAX_TABLE_PAGES,
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
  ENTRY_EMPTY,
  ENTRY_LEAF,
  ENTRY_TABLE,
  newWalkOut,
  type PageTableFormat,
  PERM_READ,
  PERM_RW,
  PERM_WRITE,
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
  formatInputLimit,
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
