// SPDX-License-Identifier: Apache-2.0
// The page-table format interface (STYLE.md item 3), after Linux drivers/iommu/generic_pt/
// (pt_common.h): one small set of operations per format; the walker, map, unmap and iteration
// are written once over it (page-table.ts, walk.ts).
//
// Levels are numbered from the leaves up: level 1 holds the smallest leaves (one granule), and with
// tables of 2^g bytes (g = granuleLg2: 12 for 4 KiB, 14 for 16 KiB, 16 for 64 KiB) level n indexes
// address bits [g + (g-3)n - 1 : g + (g-3)(n-1)]; for 4 KiB tables, bits [12 + 9(n-1) + 8 : 12 + 9(n-1)].
// The root table indexes what is left of the input width: fewer entries than a granule holds, or
// (Arm stage 2) up to 16 concatenated granules. Entries are 64-bit words read as two 32-bit
// halves `lo` (bits 31:0) and `hi` (bits 63:32) straight from the table page (no allocation).

/** Entry kinds returned by PageTableFormat.entryKind. Plain numbers keep the hot path monomorphic. */
export const ENTRY_EMPTY = 0; // not present
export const ENTRY_TABLE = 1; // points to a next-level table
export const ENTRY_LEAF = 2; // maps a page of leafSizeLg2 bytes

/** Permission bits used across formats and requests. */
export const PERM_READ = 1;
export const PERM_WRITE = 2;
export const PERM_RW = 3;

export interface PageTableFormat {
  /** Short id, e.g. 'vtd-ss-48', 'vtd-fs-4', 'amd-v1-mode4'. */
  readonly name: string;
  /** Specification, revision and section the format follows. */
  readonly spec: string;
  /** Number of levels of the top table (the level of the root table). */
  readonly levels: number;
  /** Input address width in bits the root covers (39, 48, 57, 64...). */
  readonly inputWidth: number;
  /** log2 of a table's size in bytes, and of the smallest page: 12 (4 KiB), 14 (16 KiB) or 16 (64 KiB). */
  readonly granuleLg2: number;
  /** Kind of the entry (ENTRY_*), given the level it was read at. */
  entryKind(lo: number, hi: number, level: number): number;
  /** For a table entry: the level of the table it points to (level - 1 unless the format skips). */
  nextLevel(lo: number, hi: number, level: number): number;
  /** Output address of a table or leaf entry (table base, or page base). */
  entryOutputAddress(lo: number, hi: number, level: number): number;
  /**
   * entryOutputAddress() / 4096 (every output address is 4 KiB-aligned): the form the walk calls.
   * Below 8 TiB a small integer, which a call V8 does not inline returns as it is; an address of
   * 2 GiB or more would come back boxed in a new heap number (issue #19: a walk through several
   * formats in one process, where the calls are polymorphic, allocated 16 bytes per translation).
   */
  entryOutputPfn(lo: number, hi: number, level: number): number;
  /** For a leaf entry: log2 of the page size it maps. */
  leafSizeLg2(lo: number, hi: number, level: number): number;
  /** PERM_* bits granted by this entry (both table and leaf entries may restrict). */
  entryPerm(lo: number, hi: number, level: number): number;
  /** True when the entry has reserved bits set for its level (the walk faults). */
  hasReservedBits(lo: number, hi: number, level: number): boolean;
  /**
   * For formats whose malformed entries fault in more than one way (Arm VMSAv8-64: an invalid
   * descriptor, an output address above the output size, a clear access flag), the WALK_* status
   * of an entry hasReservedBits() refused. Absent: WALK_RESERVED. Called on the fault path only.
   */
  reservedStatus?(lo: number, hi: number, level: number): number;
  /** Leaf sizes (log2 bytes) this format can install at `level`, largest first; [] if none. */
  leafSizesLg2(level: number): readonly number[];
  /** Writes a leaf mapping `pa` of 2^sizeLg2 bytes at words[2*index..]. Formats whose pages span
   * several entries (AMD-Vi NL=7) report that through contiguousEntries and the walker writes each. */
  writeLeaf(words: Uint32Array, index: number, pa: number, sizeLg2: number, perm: number, level: number): void;
  /** Number of identical entries a leaf of 2^sizeLg2 at `level` occupies (1 for most formats). */
  contiguousEntries(sizeLg2: number, level: number): number;
  /** Writes a table entry pointing at `tablePa` (a table of level `level - 1`). */
  writeTable(words: Uint32Array, index: number, tablePa: number, level: number): void;
  clearEntry(words: Uint32Array, index: number): void;
}

/** Result of a walk; callers own one and pass it in, so walking does not allocate. */
export const WALK_OK = 0;
export const WALK_NOT_PRESENT = 1; // an entry on the way (or the leaf) is not present
export const WALK_RESERVED = 2; // reserved bits set in an entry
export const WALK_BEYOND_WIDTH = 3; // input address above the format's input width
export const WALK_BAD_POINTER = 4; // a table pointer leads outside simulated table memory
export const WALK_SKIP_NONZERO = 5; // AMD-Vi level skip with non-zero skipped address bits
export const WALK_PERMISSION = 6; // the access needs a permission the walk does not grant
export const WALK_ADDRESS_SIZE = 7; // an output address above the configured output size (Arm)
export const WALK_ACCESS_FLAG = 8; // a leaf whose access flag is clear (Arm, no hardware AF update)

export interface WalkOut {
  status: number; // WALK_*
  /** Translated physical address (page base + offset) when status is WALK_OK. */
  pa: number;
  /** Size of the leaf page found (log2 bytes). */
  sizeLg2: number;
  /** PERM_* effective permission (AND over the walk). */
  perm: number;
  /** Entries read from memory during the walk (for the cost model and caches). */
  levelsRead: number;
  /** Level at which the walk stopped (the faulting level when status is not WALK_OK). */
  level: number;
}

export function newWalkOut(): WalkOut {
  return { status: WALK_OK, pa: 0, sizeLg2: 0, perm: 0, levelsRead: 0, level: 0 };
}
