// SPDX-License-Identifier: Apache-2.0
// IORT node layouts as data (Arm DEN0049 "IO Remapping Table, Platform Design Document", revisions
// D to E.e; ACPICA actbl2.h struct acpi_iort_*, which Linux's drivers/acpi/arm64/iort.c reads).
// Every node starts with the 16-byte IORT node header (ACPICA struct acpi_iort_node): Type, Length, Revision,
// Identifier (Reserved before E.a), Number of ID mappings, Reference to ID array. Offsets below
// are from the node's start. Fields a revision added after ours are simply not decoded: their
// bytes stay in the node's `gaps` and come back unchanged.

import type { ByteReader, ByteWriter } from '../bytes';

/** Node types (DEN0049 node Type values; ACPICA enum acpi_iort_node_type). */
export const IORT_NODE_NAMES = [
  'ITS_GROUP', // 0
  'NAMED_COMPONENT', // 1
  'ROOT_COMPLEX', // 2
  'SMMU', // 3: SMMUv1 or SMMUv2
  'SMMU_V3', // 4
  'PMCG', // 5: SMMUv3 performance monitor counter group
  'RMR', // 6: reserved memory range (E.a onwards; E.d layout)
] as const;

export const IORT_ITS_GROUP = 0;
export const IORT_NAMED_COMPONENT = 1;
export const IORT_ROOT_COMPLEX = 2;
export const IORT_SMMU = 3;
export const IORT_SMMU_V3 = 4;
export const IORT_PMCG = 5;
export const IORT_RMR = 6;

/** Bytes of one ID mapping (ACPICA struct acpi_iort_id_mapping). */
export const IORT_ID_MAPPING_SIZE = 20;
/** Bytes of the node header (struct acpi_iort_node without node_data). */
export const IORT_NODE_HEADER_SIZE = 16;

export type FieldSize = 1 | 2 | 4 | 8;
export type Field = readonly [name: string, offset: number, size: FieldSize];

/**
 * Fixed-offset fields per node type. Counts that size an array (ITS count, context and PMU
 * interrupt counts, RMR descriptor count, mapping count) are not listed: the encoder writes them
 * from the array's length.
 */
export const NODE_FIELDS: Readonly<Record<number, readonly Field[]>> = {
  // ITS group (struct acpi_iort_its_group): +16 ITS count, +20 GIC ITS identifier array.
  0: [],
  // Named component (struct acpi_iort_named_component) with its memory access properties
  // (struct acpi_iort_memory_access).
  1: [
    ['NodeFlags', 16, 4], // bit 0 stall supported, bits 5:1 substream (PASID) width
    ['CacheCoherency', 20, 4], // CCA: 1 = fully coherent
    ['AllocationHints', 24, 1], // transient, write-allocate, read-allocate, override
    ['Reserved', 25, 2],
    ['MemoryAccessFlags', 27, 1], // bit 0 CPM (coherent path to memory), bit 1 DACS, bit 2 CANWBS
    ['MemoryAddressSizeLimit', 28, 1], // bits of address the device can drive
    // +29: device object name, a NUL-terminated ASCII path (`deviceName`), padded.
  ],
  // PCI root complex (struct acpi_iort_root_complex).
  2: [
    ['CacheCoherency', 16, 4],
    ['AllocationHints', 20, 1],
    ['Reserved', 21, 2],
    ['MemoryAccessFlags', 23, 1],
    ['AtsAttribute', 24, 4], // bit 0 ATS, bit 1 PRI, bit 2 PASID forwarding (E.b)
    ['PciSegmentNumber', 28, 4],
    ['MemoryAddressSizeLimit', 32, 1], // revision 1 (D) onwards; Linux ignores it below
    ['PasidCapabilities', 33, 2], // bits 4:0 max PASID width (E.d, node revision 4)
    ['Reserved1', 35, 1],
  ],
  // SMMUv1/SMMUv2 (struct acpi_iort_smmu). +44 context interrupt count, +52 PMU interrupt count.
  3: [
    ['BaseAddress', 16, 8],
    ['Span', 24, 8],
    ['Model', 32, 4], // 0 v1, 1 v2, 2 MMU-400, 3 MMU-500, 4 MMU-401, 5 Cavium ThunderX
    ['Flags', 36, 4], // bit 0 DVM, bit 1 coherent page table walk
    ['GlobalInterruptOffset', 40, 4],
    ['ContextInterruptOffset', 48, 4],
    ['PmuInterruptOffset', 56, 4],
  ],
  // SMMUv3 (struct acpi_iort_smmu_v3).
  4: [
    ['BaseAddress', 16, 8],
    ['Flags', 24, 4], // bit 0 COHACC override, bits 2:1 HTTU override, 3 proximity domain valid, 4 DeviceID valid (E.e)
    ['Reserved', 28, 4],
    ['VatosAddress', 32, 8],
    ['Model', 40, 4], // 0 generic, 1 HiSilicon Hi161x, 2 Cavium CN99xx
    ['EventGsiv', 44, 4],
    ['PriGsiv', 48, 4],
    ['GerrGsiv', 52, 4],
    ['SyncGsiv', 56, 4],
    ['ProximityDomain', 60, 4], // revision 1 (C) onwards
    ['DeviceIdMappingIndex', 64, 4], // revision 1 (C) onwards
  ],
  // PMCG (struct acpi_iort_pmcg).
  5: [
    ['Page0BaseAddress', 16, 8],
    ['OverflowInterruptGsiv', 24, 4],
    ['NodeReference', 28, 4], // the SMMU or named component it counts for
    ['Page1BaseAddress', 32, 8], // revision 1 (E) onwards
  ],
  // RMR (struct acpi_iort_rmr, E.d layout). +20 number of memory range descriptors.
  6: [
    ['Flags', 16, 4], // bit 0 remapping permitted, bit 1 access privileged, bits 9:2 access attributes
    ['RmrOffset', 24, 4],
  ],
};

/** A bit field [hi, lo] of a 32-bit word, as the spec prints it. */
export type Bits = readonly [hi: number, lo: number];

/** ID mapping Flags (ACPI_IORT_ID_SINGLE_MAPPING). */
export const ID_MAPPING_FLAGS = { singleMapping: [0, 0] } as const satisfies Record<string, Bits>;

/** Named component Node Flags (ACPI_IORT_NC_STALL_SUPPORTED, ACPI_IORT_NC_PASID_BITS). */
export const NC_FLAGS = { stallSupported: [0, 0], pasidBits: [5, 1] } as const satisfies Record<string, Bits>;

/** Memory access properties: Memory Access Flags (ACPI_IORT_MF_*; CANWBS is E.e's "ensured coherency"). */
export const MEMORY_ACCESS_FLAGS = {
  coherentPath: [0, 0],
  deviceAttributes: [1, 1],
  canwbs: [2, 2],
} as const satisfies Record<string, Bits>;

/** Root complex ATS Attribute (ACPI_IORT_ATS_SUPPORTED, _PRI_SUPPORTED, _PASID_FWD_SUPPORTED). */
export const RC_ATS = { ats: [0, 0], pri: [1, 1], pasidForward: [2, 2] } as const satisfies Record<string, Bits>;

/** SMMUv3 Flags (ACPI_IORT_SMMU_V3_*; DeviceID valid is E.e, node revision 5). */
export const SMMU_V3_FLAGS = {
  cohaccOverride: [0, 0],
  httuOverride: [2, 1],
  proximityDomainValid: [3, 3],
  deviceIdValid: [4, 4],
} as const satisfies Record<string, Bits>;

/** RMR Flags (E.d; ACPI_IORT_RMR_*): access attributes 0-3 device memory, 4 normal non-cacheable, 5 write-back. */
export const RMR_FLAGS = {
  remapPermitted: [0, 0],
  accessPrivileged: [1, 1],
  accessAttributes: [9, 2],
} as const satisfies Record<string, Bits>;

/** Value of the bit field [hi, lo] of a 32-bit word. */
export function bits(word: number | bigint, [hi, lo]: Bits): number {
  return Math.floor((Number(word) >>> 0) / 2 ** lo) % 2 ** (hi - lo + 1);
}

/** `value` placed in the bit field [hi, lo] (checked to fit). */
export function field([hi, lo]: Bits, value: number): number {
  if (value < 0 || value >= 2 ** (hi - lo + 1)) throw new RangeError(`${value} does not fit bits [${hi}, ${lo}]`);
  return value * 2 ** lo;
}

/** ID mapping Flags bit 0 as a mask. */
export const IORT_ID_SINGLE_MAPPING = field(ID_MAPPING_FLAGS.singleMapping, 1);

export function readField(r: ByteReader, o: number, size: FieldSize, s: string): number | bigint {
  return size === 1 ? r.u8(o, s) : size === 2 ? r.u16(o, s) : size === 4 ? r.u32(o, s) : r.u64(o, s);
}

export function writeField(w: ByteWriter, size: FieldSize, v: number | bigint): void {
  if (size === 8) w.u64(BigInt(v));
  else if (size === 4) w.u32(Number(v));
  else if (size === 2) w.u16(Number(v));
  else w.u8(Number(v));
}
