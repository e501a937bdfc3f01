// SPDX-License-Identifier: Apache-2.0
// The public surface of @iofleet/acpi.

export {
  formatAcpidump,
  IOMMU_TABLE_SIGNATURES,
  type IommuTableSignature,
  MAX_DUMP_TABLES,
  parseAcpidump,
  pickTable,
} from './acpidump';
export { buildDmar, buildIvrs, type DmarSpec, type IvrsSpec, type ScopeSpec } from './build';
export { ByteReader, ByteWriter } from './bytes';
export {
  type DeviceScope,
  DMAR_SCOPE,
  decodeScopes,
  encodeScopes,
  isPciScope,
  SCOPE_TYPE_NAMES,
  scopeLength,
} from './dmar/device-scope';
export {
  DMAR_TYPES,
  type DmarStructure,
  type DmarTable,
  decodeDmar,
  type EncodeOptions,
  encodeDmar,
} from './dmar/dmar';
export { AcpiDecodeError, type AcpiErrorCode, isAcpiDecodeError } from './errors';
export { type FuzzReport, fuzzAcpi } from './fuzz';
export { ACPI_HEADER_LENGTH, type AcpiHeader, byteSum, computeChecksum, decodeHeader, encodeHeader } from './header';
export {
  buildIort,
  type IortSpec,
  type RidRange,
  type RmrSpec,
  type RootComplexSpec,
  type SmmuV3Spec,
} from './iort/build';
export {
  type IortMsiTarget,
  type IortNamedComponentDevice,
  type IortPciDevice,
  type IortStream,
  iortFindNamedComponent,
  iortFindRootComplex,
  iortNamedComponentDevice,
  iortPciDevice,
  iortPlatformMsi,
} from './iort/devices';
export { type ArmIommuDescription, type ArmSmmuUnit, iortSpecForArmHost } from './iort/from-host';
export { decodeIort, encodeIort, IORT_FIXED_LENGTH, type IortTable, iortNodeOffsets } from './iort/iort';
export {
  type Bits,
  bits,
  field,
  ID_MAPPING_FLAGS,
  IORT_ID_SINGLE_MAPPING,
  IORT_ITS_GROUP,
  IORT_NAMED_COMPONENT,
  IORT_NODE_NAMES,
  IORT_PMCG,
  IORT_RMR,
  IORT_ROOT_COMPLEX,
  IORT_SMMU,
  IORT_SMMU_V3,
  MEMORY_ACCESS_FLAGS,
  NC_FLAGS,
  NODE_FIELDS,
  RC_ATS,
  RMR_FLAGS,
  SMMU_V3_FLAGS,
} from './iort/layout';
export { listIort } from './iort/listing';
export {
  FW_BUG,
  type IdMapResult,
  IORT_IOMMU_TYPE,
  IORT_LOG_PREFIX,
  IORT_MSI_TYPE,
  IortIndex,
  iortGetIdMappingIndex,
  iortIdMap,
  iortNodeGetId,
  iortNodeMapId,
  iortNodeMapPlatformId,
  iortNodeStep,
  type MapIdResult,
  type NodeStep,
} from './iort/map-id';
export {
  type IdMapping,
  type IortNode,
  type IortNodeName,
  type NodeGap,
  nodeLength,
  type RmrDescriptor,
  type SmmuGlobalInterrupts,
  type SmmuInterrupt,
} from './iort/node';
export { type IortReservedRegion, iortRmrRegions } from './iort/rmr';
export { validateIort } from './iort/validate';
export {
  decodeEntries,
  encodeEntries,
  entrySize,
  IVHD_ENTRY,
  IVHD_ENTRY_NAMES,
  type IvhdEntry,
} from './ivrs/device-entries';
export {
  decodeIvrs,
  encodeIvrs,
  type IvhdBlock,
  type IvmdBlock,
  type IvrsBlock,
  type IvrsTable,
  ivhdHeaderLength,
  type RawBlock,
} from './ivrs/ivrs';
export { type DecodedTable, fromJson, toJson } from './json';
export { listDmar, listIvrs } from './listing';
export {
  type Finding,
  linuxChecksumWarning,
  type Severity,
  validateChecksum,
  validateDmar,
  validateIvrs,
} from './validate';
