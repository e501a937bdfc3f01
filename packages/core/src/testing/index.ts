// SPDX-License-Identifier: Apache-2.0
// Test helpers for @iofleet/core users and for core's own tests: every export named.

export { MOCK_PTE, mockFormat } from './mock-format';
export { MapPageTable, ModelDomain, type ModelTranslation, type PageTableLike } from './model-domain';
export { type ConformanceOptions, runPageTableConformance } from './page-table-conformance';
export { type RandomOpsOptions, type RandomOpsStats, runRandomPageTableOps } from './page-table-property';
export { ReferencePageTable, type RefLeaf } from './page-table-reference';
