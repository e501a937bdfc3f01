// SPDX-License-Identifier: Apache-2.0
// @iofleet/core/cost: the cost model (nanoseconds per software step and per hardware event)
// and the published-measurement profiles it is priced with. It sits on the hardware layer (it
// reads the event counters) and under the Linux layer (which charges it). Every export named.

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
} from './cost-profile';
