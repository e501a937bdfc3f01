// SPDX-License-Identifier: Apache-2.0
// The legacy-mode context cache of one VT-d unit (VT-d spec rev 4.1 §6.2.2): context entries
// looked up by source id, filled from the root and context tables in memory (§3.4.2, §9.1, §9.3)
// and dropped by context-cache invalidations (§6.5.2.1). Split out of vtd/unit.ts (issue #20).
//
// Storage is typed arrays indexed by source id (no allocation on the hot path). They are allocated
// on the first fill (~1 MiB per unit), so units that never translate — most units of a fleet model
// — do not carry them; an empty array reads as "not cached".

import { bit, type FieldTable, getAddress, getField, wordField } from '../bits/bitfield';
import type { PhysMemory } from '../memory/phys-memory';
import { HW_WALK_MEM_READS } from '../stats/hw-counters';
import { VtdFault } from './faults';
import { ROOT_ENTRY, ROOT_ENTRY_RESERVED } from './fields';
import {
  CONTEXT_TT_DEV_IOTLB,
  CONTEXT_TT_MULTI_LEVEL,
  CONTEXT_TT_PASS_THROUGH,
  decodeContext,
  type RootTable,
} from './root-context';

/**
 * One cached context entry packed into an Int32 (one load on the hot path); 0 = not cached. The
 * model's own layout (hardware caches are not specified), kept as a field table like the entries
 * it caches; the constants the translate path reads are derived from it at module load.
 */
export const CC_ENTRY = {
  VALID: [0, 0],
  /** Context TT (§9.3). */
  TT: [2, 1],
  /** Fault processing disable: faults are not recorded. */
  FPD: [3, 3],
  /** Context AW (§9.3): the second-stage format. */
  AW: [6, 4],
  /** Domain id, the top field: `entry >>> CC_DID_SHIFT` needs no mask. */
  DID: [23, 8],
} as const satisfies FieldTable;
export const CC_VALID = bit(CC_ENTRY, 'VALID');
const TT = wordField(CC_ENTRY, 'TT');
export const CC_TT_SHIFT = TT.shift;
/** The TT field in place, and TT = pass-through in place: the translate path tests `(entry & CC_TT_BITS) === CC_TT_PASS_THROUGH`. */
export const CC_TT_BITS = TT.mask << TT.shift;
export const CC_TT_PASS_THROUGH = CONTEXT_TT_PASS_THROUGH << TT.shift;
/** TT = 00b in place: second-stage translation, no device-TLB. */
export const CC_TT_MULTI_LEVEL = CONTEXT_TT_MULTI_LEVEL << TT.shift;
/** TT = 01b in place: translated requests and translation requests allowed (§9.3), the device has a device-TLB. */
export const CC_TT_DEV_IOTLB = CONTEXT_TT_DEV_IOTLB << TT.shift;
/**
 * The bits translate()'s common case tests, and their value there (a cached context, TT = 00b):
 * `(entry & CC_CACHED_TT) === CC_CACHED_MULTI_LEVEL`. One module constant each, not an `|` of two
 * on every request (they count towards V8's inlining budget, issue #19).
 */
export const CC_CACHED_TT = CC_VALID | CC_TT_BITS;
export const CC_CACHED_MULTI_LEVEL = CC_VALID | CC_TT_MULTI_LEVEL;
export const CC_FPD = bit(CC_ENTRY, 'FPD');
const AW = wordField(CC_ENTRY, 'AW');
export const CC_AW_SHIFT = AW.shift;
export const CC_AW_MASK = AW.mask;
export const CC_DID_SHIFT = wordField(CC_ENTRY, 'DID').shift;

const SOURCE_IDS = 65536;

export class VtdContextCache {
  /** The packed entry (CC_* bits above) per source id; FPD set = faults are not recorded. */
  entry = new Int32Array(0);
  /** SLPTPTR: the second-stage table's root, as a physical address. */
  root = new Float64Array(0);

  /**
   * @param sagaw CAP.SAGAW: the context AW values the unit supports.
   * @param passThrough ECAP.PT: TT 2 is valid.
   */
  constructor(
    private readonly mem: PhysMemory,
    private readonly rootTable: RootTable,
    private readonly sagaw: number,
    private readonly passThrough: boolean,
    private readonly cnt: Float64Array,
  ) {}

  /**
   * Reads the root and context entries of `sid` from memory into the cache (2 memory reads);
   * returns a fault reason, or 0 when the entry is now cached. The checks and their order follow
   * §7.1.3 (QEMU vtd_dev_to_context_entry()).
   */
  load(sid: number): number {
    const root = this.mem.readWide(this.rootTable.rootPa + (sid >>> 8) * 16, 16);
    this.cnt[HW_WALK_MEM_READS]! += 2;
    if (getField(root, ROOT_ENTRY, 'P') === 0n) return VtdFault.ROOT_NOT_PRESENT;
    if ((root & ROOT_ENTRY_RESERVED) !== 0n) return VtdFault.ROOT_RESERVED;
    const ctx = decodeContext(this.mem.readWide(getAddress(root, ROOT_ENTRY, 'CTP') + (sid & 0xff) * 16, 16));
    if (!ctx.present) return VtdFault.CONTEXT_NOT_PRESENT;
    if (ctx.reservedSet) return VtdFault.CONTEXT_RESERVED;
    const ptOk = ctx.tt === CONTEXT_TT_PASS_THROUGH && this.passThrough;
    // AW must be a width CAP.SAGAW reports (spec §9.3; QEMU vtd_is_level_supported()), whatever TT.
    const awOk = ctx.aw < 4 && (this.sagaw & (1 << ctx.aw)) !== 0;
    if (ctx.tt === 3 || (ctx.tt === CONTEXT_TT_PASS_THROUGH && !ptOk) || !awOk) return VtdFault.CONTEXT_INVALID;
    if (this.entry.length === 0) {
      this.entry = new Int32Array(SOURCE_IDS);
      this.root = new Float64Array(SOURCE_IDS);
    }
    this.entry[sid] =
      CC_VALID | (ctx.tt << CC_TT_SHIFT) | (ctx.fpd ? CC_FPD : 0) | (ctx.aw << CC_AW_SHIFT) | (ctx.did << CC_DID_SHIFT);
    this.root[sid] = ctx.slptptr;
    return 0;
  }

  /** Global context-cache invalidation. */
  invalidateAll(): void {
    this.entry.fill(0);
  }

  /** Domain-selective: every cached entry tagged with `did`. */
  invalidateDomain(did: number): void {
    const e = this.entry;
    for (let s = 0; s < e.length; s++) if (e[s]! >>> CC_DID_SHIFT === did) e[s] = 0;
  }

  /** Device-selective: the entry of one source id. */
  invalidateDevice(sid: number): void {
    if (sid < this.entry.length) this.entry[sid] = 0;
  }
}
