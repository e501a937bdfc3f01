// SPDX-License-Identifier: Apache-2.0
// Reserved memory ranges (RMR nodes, DEN0049 E.d) as Linux turns them into reserved
// regions of an SMMU's stream IDs (drivers/acpi/arm64/iort.c: iort_find_rmrs(),
// iort_node_get_rmr_info(), iort_get_rmrs(), iort_rmr_desc_check_overlap(), iort_rmr_alloc()):
// only tables of revision 5 (E.d) onwards; the stream IDs are the outputs of the RMR node's ID
// mappings that point at the SMMU; each descriptor becomes an identity-mapped region, direct or
// (remapping permitted) relaxable, its base and length page-aligned when they are not 64 KiB
// aligned. The kernel's page size is a parameter (arm64 kernels use 4, 16 or 64 KiB).

import { bits, IORT_RMR, RMR_FLAGS } from './layout';
import { FW_BUG, IORT_LOG_PREFIX, type IortIndex } from './map-id';
import type { RmrDescriptor } from './node';

export interface IortReservedRegion {
  /** Index of the RMR node. */
  rmr: number;
  /** Index of the SMMU node. */
  iommu: number;
  /** Stream IDs the region applies to, as ranges. */
  streamIds: { first: number; count: number }[];
  start: bigint;
  length: bigint;
  /** IOMMU_RESV_DIRECT, or IOMMU_RESV_DIRECT_RELAXABLE when remapping is permitted (Flags bit 0). */
  type: 'direct' | 'direct-relaxable';
  /** IOMMU_PRIV (Flags bit 1). */
  privileged: boolean;
  /** Access attributes (Flags bits 9:2) 0-3: device memory, IOMMU_MMIO. */
  mmio: boolean;
  /** Access attributes 5: normal inner/outer write-back, IOMMU_CACHE. */
  cacheable: boolean;
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** Overlap lines kept per RMR node (a node can hold ~3,000 descriptors; Linux would print every pair). */
export const MAX_RMR_OVERLAP_LINES = 32;
const SZ_64K = 0x10000n;
const U64 = (v: bigint) => BigInt.asUintN(64, v);

/**
 * iort_rmr_desc_check_overlap(): zero lengths and overlapping descriptors of one node. The model
 * stops after MAX_RMR_OVERLAP_LINES lines (and says so); the kernel prints them all.
 */
function checkOverlap(descs: readonly RmrDescriptor[], log: string[]): void {
  let lines = 0;
  const emit = (line: string): boolean => {
    if (lines++ < MAX_RMR_OVERLAP_LINES) log.push(line);
    return lines <= MAX_RMR_OVERLAP_LINES;
  };
  for (const [i, d] of descs.entries()) {
    if (d.length === 0n) {
      if (!emit(`${IORT_LOG_PREFIX}${FW_BUG}RMR descriptor[${hex(d.baseAddress)}] with zero length, continue anyway`))
        break;
      continue;
    }
    const end = U64(d.baseAddress + d.length - 1n);
    for (let j = i + 1; j < descs.length; j++) {
      const e = descs[j]!;
      const eEnd = U64(e.baseAddress + e.length - 1n);
      if (d.baseAddress <= eEnd && end >= e.baseAddress)
        if (
          !emit(
            `${IORT_LOG_PREFIX}${FW_BUG}RMR descriptor[${hex(d.baseAddress)} - ${hex(end)}] overlaps, continue anyway`,
          )
        ) {
          log.push(`(iofleet: further RMR descriptor lines of this node not listed)`);
          return;
        }
    }
  }
}

/** iort_rmr_alloc(): the region's start and length, page-aligned when not 64 KiB aligned. */
function alignRegion(d: RmrDescriptor, pageSize: bigint, log: string[]): [bigint, bigint] {
  if (d.baseAddress % SZ_64K === 0n && d.length % SZ_64K === 0n) return [d.baseAddress, d.length];
  const start = d.baseAddress - (d.baseAddress % pageSize);
  const raw = d.length + (d.baseAddress % pageSize);
  const length = ((raw + pageSize - 1n) / pageSize) * pageSize;
  log.push(
    `${IORT_LOG_PREFIX}${FW_BUG}RMR descriptor[${hex(d.baseAddress)} - ${hex(U64(d.baseAddress + d.length - 1n))}] not aligned to 64K, continue with [${hex(start)} - ${hex(U64(start + length - 1n))}]`,
  );
  return [start, length];
}

/** The reserved regions Linux gives the stream IDs of SMMU node `iommu` (iort_get_rmr_sids()). */
export function iortRmrRegions(
  ix: IortIndex,
  iommu: number,
  pageSize = 4096,
): { regions: IortReservedRegion[]; log: string[] } {
  const regions: IortReservedRegion[] = [];
  const log: string[] = [];
  if (ix.table.header.revision < 5) return { regions, log }; // "Only supports ARM DEN 0049E.d onwards"
  ix.table.nodes.forEach((node, i) => {
    if (node.type !== IORT_RMR) return;
    if (!node.mappingOffset || node.mappings.length === 0) {
      log.push(`${IORT_LOG_PREFIX}${FW_BUG}Invalid ID mapping, skipping RMR node 0x${ix.offsets[i]!.toString(16)}`);
      return;
    }
    const descs = node.rmrDescriptors ?? [];
    if (!Number(node.fields.RmrOffset ?? 0) || descs.length === 0) return;
    const streamIds = node.mappings
      .filter((m) => ix.nodeAt(m.outputReference) === iommu)
      .map((m) => ({ first: m.outputBase, count: m.idCount + 1 }));
    if (streamIds.length === 0) return;
    checkOverlap(descs, log);
    const flags = Number(node.fields.Flags ?? 0);
    const attributes = bits(flags, RMR_FLAGS.accessAttributes);
    for (const d of descs) {
      const [start, length] = alignRegion(d, BigInt(pageSize), log);
      regions.push({
        rmr: i,
        iommu,
        streamIds,
        start,
        length,
        type: bits(flags, RMR_FLAGS.remapPermitted) ? 'direct-relaxable' : 'direct',
        privileged: bits(flags, RMR_FLAGS.accessPrivileged) === 1,
        mmio: attributes <= 3,
        cacheable: attributes === 5,
      });
    }
  });
  return { regions, log };
}
