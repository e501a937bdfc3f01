// SPDX-License-Identifier: Apache-2.0
// Public surface of the page-table layer: every export named (STYLE.md item 2).

export {
  AMD_NL_DEFAULT,
  AMD_NL_SIZE,
  AMD_V1_PTE,
  type AmdPageSizes,
  type AmdV1Options,
  amdV1Format,
} from './amd-v1';
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
} from './format';
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
} from './level-math';
export { MOCK_PTE, mockFormat } from './mock-format';
export { type MappedLeaf, PageTable } from './page-table';
export { IA32E_PTE, type VtdFirstStageOptions, vtdFirstStageFormat } from './vtd-first-stage';
export { VTD_SL_PTE, type VtdSecondStageOptions, type VtdWidthBits, vtdSecondStageFormat } from './vtd-second-stage';
export { MAX_LEVELS, newWalkPath, type WalkPath, walk, walkFromLevel } from './walk';
