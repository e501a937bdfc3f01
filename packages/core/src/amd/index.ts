// SPDX-License-Identifier: Apache-2.0
export {
  CMD_COMPL_WAIT,
  CMD_INV_DEV_ENTRY,
  CMD_INV_IOMMU_ALL,
  CMD_INV_IOMMU_ALL_PAGES_ADDRESS,
  CMD_INV_IOMMU_PAGES,
  CMD_INV_IOTLB_PAGES,
  CMD_INV_IRT,
  completionWait,
  decodeInvRange,
  invAddress,
  invDevEntry,
  invIommuAll,
  invIommuAllPages,
  invIommuPages,
  invIotlbPages,
} from './commands';
export {
  blockedDte,
  type DecodedDte,
  DeviceTable,
  DTE,
  decodeDte,
  passthroughDte,
  translatingDte,
} from './device-table';
export { AmdViDomain } from './domain';
export { type AmdEvent, amdEventLine, EVENT_FLAG_PR, EVENT_FLAG_RW, EVENT_TYPE_IO_FAULT, EventLog } from './event-log';
export {
  AmdIrqTable,
  type AmdRemapResult,
  encodeIrte32,
  INTCTL_ABORT,
  INTCTL_PASS,
  INTCTL_REMAP,
  IRTE32,
} from './interrupt-remap';
export { type AmdViParams, AmdViUnit, CMD_BUFFER_ENTRIES, DEFAULT_AMDVI_PARAMS } from './unit';
