// SPDX-License-Identifier: Apache-2.0
// Cost profiles and the cost model (named exports; the lead wires them into src/index.ts).

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
} from './cost-model';
export {
  AMD_EPYC_MILAN,
  COST_PROFILE_NAMES,
  COST_PROFILES,
  type CostParam,
  type CostParams,
  type CostProfile,
  getCostProfile,
  INTEL_ICELAKE_SP,
} from './cost-profile';
