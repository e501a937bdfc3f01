// SPDX-License-Identifier: Apache-2.0
// The hardware side of queued invalidation for a legacy-mode VT-d unit (VT-d spec rev 4.1 §6.5.2):
// one descriptor applied to the unit's caches — context cache (§6.5.2.1), IOTLB and
// paging-structure caches (§6.5.2.3), device-TLBs (§6.5.2.5), interrupt entry cache (§6.5.2.7).
// Split out of vtd/unit.ts (issue #20); the software side is InvalidationQueue (invalidation.ts).

import { getAddress, getField, getNumber } from '../bits/bitfield';
import type { Iotlb } from '../caches/iotlb';
import type { PagingStructureCache } from '../caches/paging-structure-cache';
import { HW_DEVICE_IOTLB_INV, HW_IOTLB_ENTRIES_INVALIDATED } from '../stats/hw-counters';
import type { VtdContextCache } from './context-cache';
import { DESC_CONTEXT_CACHE, DESC_DEV_IOTLB, DESC_IOTLB } from './fields';
import {
  descType,
  QI_CC_TYPE,
  QI_DIOTLB_TYPE,
  QI_GRAN_DOMAIN,
  QI_GRAN_GLOBAL,
  QI_GRAN_PAGE,
  QI_IEC_TYPE,
  QI_IOTLB_TYPE,
} from './invalidation';
import type { VtdParams } from './registers';

/** The caches a descriptor acts on. */
export interface VtdCaches {
  readonly params: VtdParams;
  readonly contextCache: VtdContextCache;
  readonly iotlb: Iotlb;
  readonly psc: PagingStructureCache;
  /** Device-TLBs by source id (ATS). */
  readonly atc: Map<number, Iotlb>;
  readonly cnt: Float64Array;
}

/** Applies one descriptor; false = invalid descriptor (the queue reports IQE). */
export function executeVtdDescriptor(u: VtdCaches, d: bigint): boolean {
  switch (descType(d)) {
    case QI_CC_TYPE: {
      const g = getNumber(d, DESC_CONTEXT_CACHE, 'G');
      if (g === QI_GRAN_GLOBAL) u.contextCache.invalidateAll();
      else if (g === QI_GRAN_DOMAIN) u.contextCache.invalidateDomain(getNumber(d, DESC_CONTEXT_CACHE, 'DID'));
      else if (g === QI_GRAN_PAGE) u.contextCache.invalidateDevice(getNumber(d, DESC_CONTEXT_CACHE, 'SID'));
      else return false;
      return true;
    }
    case QI_IOTLB_TYPE:
      return iotlbInvalidation(u, d);
    case QI_DIOTLB_TYPE: {
      if (!u.params.deviceTlb) return false;
      const sid = getNumber(d, DESC_DEV_IOTLB, 'SID');
      const addr = getField(d, DESC_DEV_IOTLB, 'ADDR') << 12n;
      // S=1: the run of ones from bit 12 up encodes the size (spec §6.5.2.5).
      let sizeLg2 = 12;
      if (getField(d, DESC_DEV_IOTLB, 'S') === 1n) {
        sizeLg2 = 13;
        while (sizeLg2 < 64 && ((addr >> BigInt(sizeLg2 - 1)) & 1n) === 1n) sizeLg2++;
      }
      const atc = u.atc.get(sid);
      if (atc) {
        if (sizeLg2 >= 52) atc.invalidateAll();
        else atc.invalidateRange(0, -1, Number((addr >> BigInt(sizeLg2)) << BigInt(sizeLg2)), sizeLg2);
      }
      u.cnt[HW_DEVICE_IOTLB_INV]!++;
      return true;
    }
    case QI_IEC_TYPE:
      return u.params.interruptRemapping;
    default:
      return false;
  }
}

/** IOTLB invalidation (type 2): global, domain- or page-selective (AM = log2 of the pages). */
function iotlbInvalidation(u: VtdCaches, d: bigint): boolean {
  const g = getNumber(d, DESC_IOTLB, 'G');
  const did = getNumber(d, DESC_IOTLB, 'DID');
  let n = 0;
  // IH=0 (all Linux sends for unmaps): paging-structure caches of the domain go too.
  if (getField(d, DESC_IOTLB, 'IH') === 0n) {
    if (g === QI_GRAN_GLOBAL) u.psc.invalidateAll();
    else u.psc.invalidateDomain(did);
  }
  if (g === QI_GRAN_GLOBAL) n = u.iotlb.invalidateAll();
  else if (g === QI_GRAN_DOMAIN) n = u.iotlb.invalidateDomain(did);
  else if (g === QI_GRAN_PAGE) {
    const am = getNumber(d, DESC_IOTLB, 'AM');
    if (am > u.params.mamv) return false;
    const addr = getAddress(d, DESC_IOTLB, 'ADDR');
    n = u.iotlb.invalidateRange(did, -1, Math.floor(addr / 2 ** (12 + am)) * 2 ** (12 + am), 12 + am);
  } else return false;
  u.cnt[HW_IOTLB_ENTRIES_INVALIDATED]! += n;
  return true;
}
