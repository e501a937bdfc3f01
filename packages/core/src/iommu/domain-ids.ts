// SPDX-License-Identifier: Apache-2.0
// Domain ids of one IOMMU unit, handed out lowest-free-first and returned when a domain is freed,
// as Linux's ida_alloc_range()/ida_free() do for VT-d DIDs (domain_id_iommu) and AMD-Vi domain ids
// (pdom_id_alloc). Id 0 is never used (VT-d reserves DID 0 for caching mode and pass-through).

import type { DomainId } from '../addresses';
import { CoreError } from '../errors';

export class DomainIds {
  private next = 1;
  /** Freed ids below `next`, kept sorted descending so the lowest pops last. */
  private readonly freed: number[] = [];

  constructor(
    /** One past the largest id. */
    readonly limit: number,
    private readonly owner: string,
  ) {}

  /** The lowest free id, typed as a hardware domain id (types only). */
  alloc(): DomainId {
    if (this.freed.length) return this.freed.pop()! as DomainId;
    if (this.next >= this.limit)
      throw new CoreError('LIMIT_EXCEEDED', `${this.owner}: all ${this.limit - 1} domain ids in use`);
    return this.next++ as DomainId;
  }

  free(id: number): void {
    let i = this.freed.length;
    while (i > 0 && this.freed[i - 1]! < id) i--;
    this.freed.splice(i, 0, id);
  }

  get inUse(): number {
    return this.next - 1 - this.freed.length;
  }
}
