// SPDX-License-Identifier: Apache-2.0
export { VtdDomain } from './domain';
export { dmarFaultLine, type FaultRecord, FaultRecorder, faultReasonText, VtdFault } from './faults';
export {
  encodeIrte,
  InterruptRemapTable,
  IR_FAULT,
  IRTE,
  type Msi,
  type RemappedInterrupt,
  type RemapResult,
  remappableMsiAddress,
} from './interrupt-remap';
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
  QI_CC_TYPE,
  QI_DIOTLB_TYPE,
  QI_GRAN_DOMAIN,
  QI_GRAN_GLOBAL,
  QI_GRAN_PAGE,
  QI_IEC_TYPE,
  QI_IOTLB_TYPE,
  QI_IWD_TYPE,
  QI_LENGTH,
  waitDesc,
} from './invalidation';
export {
  agaw,
  CAP_REG,
  capReg,
  DEFAULT_VTD_PARAMS,
  domainIdCount,
  ECAP_REG,
  ecapReg,
  sagawBit,
  type VtdParams,
} from './registers';
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
} from './root-context';
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
  SM_FAULT_TEXT,
  SM_ROOT_ENTRY,
} from './scalable-mode';
export { ScalableTranslator } from './scalable-translate';
export { VtdUnit, type VtdUnitOptions } from './unit';
