// SPDX-License-Identifier: Apache-2.0
// The SMMU's TLB and walk caches, tagged as IHI 0070 G.b §16.2 ("TLB tagging") describes: stage-1
// entries by ASID and VMID in the NS-EL1 translation regime, by ASID alone in the EL2 regime
// (STE.STRW = EL2, with a VHE kernel), stage-2-only entries by VMID, and nested entries (combined
// stage 1 + stage 2) by both. Each distinct tag maps to a small integer "context" that indexes the
// set-associative Iotlb (caches/iotlb.ts) and the walk caches, so a lookup costs what a VT-d or
// AMD-Vi IOTLB lookup costs; invalidation commands pick the contexts they match (§4.4).
//
// Model departures: a TLBI with a TTL hint or a leaf-only flag invalidates at least what the
// command names (the architecture permits over-invalidation); Leaf = 0 drops the context's whole
// walk cache. A Stage-2 IPA invalidation leaves combined nested entries alone, as §4.4.3 says,
// until a stage-1 invalidation removes them.

import type { IotlbGeometry } from '../caches/cache-types';
import { Iotlb } from '../caches/iotlb';
import { PagingStructureCache } from '../caches/paging-structure-cache';

/**
 * Tags (ASID/VMID combinations) the registry holds before it rolls over: all contexts are dropped
 * with the whole TLB and walk caches, and `onRollover` lets the unit drop configurations that name
 * old contexts (STYLE item 16: random or hostile STEs and CDs cannot grow it without bound).
 */
export const MAX_TLB_CONTEXTS = 4096;

/** A context's stages, part of its tag: stage 1 only, stage 2 only, or both (nested). */
export const CTX_KIND = { S1: 1, S2: 2, NESTED: 3 } as const;
export type CtxKind = (typeof CTX_KIND)[keyof typeof CTX_KIND];

/** What an invalidation command selects (undefined = any). */
export interface ContextMatch {
  el2: boolean;
  kinds: readonly CtxKind[];
  asid?: number;
  vmid?: number;
}

export class TlbContexts {
  readonly tlb: Iotlb;
  private readonly byKey = new Map<number, number>();
  private readonly kind: CtxKind[] = [];
  private readonly asid: number[] = [];
  private readonly vmid: number[] = [];
  private readonly el2: boolean[] = [];
  /** Walk caches by granule (most setups use one). */
  private readonly walkCaches = new Map<number, PagingStructureCache>();
  /** Called when the registry rolls over (see MAX_TLB_CONTEXTS). */
  onRollover: () => void = () => {};
  rollovers = 0;

  constructor(
    geometry: IotlbGeometry,
    private readonly walkCacheEntriesPerLevel: number,
    /** Ways of a walk-cache set (registers.ts: walkCacheWays). */
    private readonly walkCacheWays = 1,
  ) {
    this.tlb = new Iotlb(geometry);
  }

  /** The context number of a tag (allocated on first use). */
  contextOf(kind: CtxKind, asid: number, vmid: number, el2: boolean): number {
    // EL2-regime stage-1 entries are not tagged with a VMID (§16.2).
    const v = el2 ? 0 : vmid;
    const key = ((el2 ? 4 : 0) + kind) * 2 ** 32 + asid * 2 ** 16 + v;
    let ctx = this.byKey.get(key);
    if (ctx === undefined) {
      if (this.kind.length >= MAX_TLB_CONTEXTS) this.rollover();
      ctx = this.kind.length;
      this.byKey.set(key, ctx);
      this.kind.push(kind);
      this.asid.push(asid);
      this.vmid.push(v);
      this.el2.push(el2);
    }
    return ctx;
  }

  /** The walk cache for tables of 2^granuleLg2 bytes with `levels` levels (null when disabled). */
  walkCache(granuleLg2: number, levels: number): PagingStructureCache | null {
    if (this.walkCacheEntriesPerLevel <= 0) return null;
    let c = this.walkCaches.get(granuleLg2 * 8 + levels);
    if (c === undefined) {
      c = new PagingStructureCache(levels, this.walkCacheEntriesPerLevel, granuleLg2, this.walkCacheWays);
      this.walkCaches.set(granuleLg2 * 8 + levels, c);
    }
    return c;
  }

  private matches(c: number, m: ContextMatch): boolean {
    if (this.el2[c] !== m.el2 || !m.kinds.includes(this.kind[c]!)) return false;
    if (m.asid !== undefined && this.asid[c] !== m.asid) return false;
    return m.vmid === undefined || this.vmid[c] === m.vmid;
  }

  /** Drops every entry of the matching contexts (and their walk caches); returns entries dropped. */
  invalidateContexts(m: ContextMatch): number {
    let n = 0;
    for (let c = 0; c < this.kind.length; c++) {
      if (!this.matches(c, m)) continue;
      n += this.tlb.invalidateDomain(c);
      for (const wc of this.walkCaches.values()) wc.invalidateDomain(c);
    }
    return n;
  }

  /**
   * Drops entries of the matching contexts overlapping [addr, addr + lengthBytes), split into
   * aligned power-of-two blocks for the IOTLB; `leaf` keeps the walk caches.
   */
  invalidateRange(m: ContextMatch, addr: number, lengthBytes: number, leaf: boolean): number {
    let n = 0;
    for (let c = 0; c < this.kind.length; c++) {
      if (!this.matches(c, m)) continue;
      for (let at = addr, left = lengthBytes; left > 0; ) {
        let lg2 = 12;
        while (lg2 < 52 && at % 2 ** (lg2 + 1) === 0 && 2 ** (lg2 + 1) <= left) lg2++;
        n += this.tlb.invalidateRange(c, -1, at, lg2);
        at += 2 ** lg2;
        left -= 2 ** lg2;
      }
      if (!leaf) for (const wc of this.walkCaches.values()) wc.invalidateDomain(c);
    }
    return n;
  }

  private rollover(): void {
    this.invalidateAll();
    this.byKey.clear();
    this.kind.length = 0;
    this.asid.length = 0;
    this.vmid.length = 0;
    this.el2.length = 0;
    this.rollovers++;
    this.onRollover();
  }

  invalidateAll(): number {
    for (const wc of this.walkCaches.values()) wc.invalidateAll();
    return this.tlb.invalidateAll();
  }

  /** Contexts in use (tags seen). */
  get size(): number {
    return this.kind.length;
  }
}
