// SPDX-License-Identifier: Apache-2.0
// @iofleet/core/hardware: the IOMMU hardware — VT-d, AMD-Vi and Arm SMMUv3 units, physical
// memory, the page-table permissions, the event counters, and what a unit gives the Linux layer
// (a request and its translation, the paging-domain ops its domains implement). It imports
// nothing of core's Linux layer, cost model or benchmarks. Every export named (STYLE.md item 2).

export { type AmdViParams, AmdViUnit, DEFAULT_AMDVI_PARAMS } from '../amd/unit';
export { DEFAULT_IOTLB_GEOMETRY, type IotlbGeometry, type ReplacementPolicy } from '../caches/cache-types';
export type { IommuDomainOps } from '../iommu/domain-ops';
export { type DmaRequest, newTranslationOut, type TranslationFault, type TranslationOut } from '../iommu/translation';
export { PhysMemory, type PhysMemoryOptions } from '../memory/phys-memory';
export { type PageTableFormat, PERM_READ, PERM_RW, PERM_WRITE } from '../page-table/format';
export { DEFAULT_SMMUV3_PARAMS, type SmmuV3Params } from '../smmu/registers';
export { type SmmuAttachOptions, type SmmuAttachTarget, SmmuV3Unit, type SmmuV3UnitOptions } from '../smmu/unit';
// The counters by index: HwCounters.snapshot() names them all; the indices other packages read
// are listed, the rest stay core's (hot-path code indexes HwCounters.c directly).
export {
  HW_INV_DESCRIPTORS,
  HW_INV_WAITS,
  HwCounters,
} from '../stats/hw-counters';
export { DEFAULT_VTD_PARAMS, type VtdParams } from '../vtd/registers';
export { VtdUnit, type VtdUnitOptions } from '../vtd/unit';
