// SPDX-License-Identifier: Apache-2.0
// The public surface of @iofleet/acpi.

export { formatAcpidump, MAX_DUMP_TABLES, parseAcpidump, pickTable } from './acpidump';
export { buildDmar, buildIvrs, type DmarSpec, type IvrsSpec, type ScopeSpec } from './build';
export { ByteReader, ByteWriter } from './bytes';
export { type DeviceScope, decodeScopes, encodeScopes, SCOPE_TYPE_NAMES, scopeLength } from './dmar/device-scope';
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
export { decodeEntries, encodeEntries, entrySize, IVHD_ENTRY_NAMES, type IvhdEntry } from './ivrs/device-entries';
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
