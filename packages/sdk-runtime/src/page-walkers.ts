// SPDX-License-Identifier: Apache-2.0
// An IOMMU unit's page walkers: `count` walks in progress at once, shared by every device the
// unit translates for. The walkers belong to the remapping hardware, not to the endpoint: on
// VT-d one DMA-remapping unit (DRHD) serves all the devices in its scope (VT-d spec §3, §8.3),
// on AMD-Vi one IOMMU serves the devices its IVHD lists (AMD IOMMU spec §2.2, §3), on SMMUv3 one
// SMMU's table-walk machinery serves all its TBUs' streams (IHI 0070, §3.1). A host gives every
// device of one unit the same PageWalkers, so two busy devices behind one unit wait for each
// other's walks; devices on two units do not. The unit's IOTLB is already shared (the units'
// translate() in @iofleet/core), as is its invalidation queue (CPU side, a lock per unit).
// Simplification: walks are granted in the order devices ask for them (earliest-free walker),
// not arbitrated by the hardware's own policy, which no specification publishes.

export class PageWalkers {
  private readonly freeAt: Float64Array;

  constructor(count: number) {
    this.freeAt = new Float64Array(Math.max(1, Math.round(count)));
  }

  get count(): number {
    return this.freeAt.length;
  }

  /** A walk of `ns` that may start at `at`, on the walker free first; returns when it ends. */
  walk(at: number, ns: number): number {
    const w = this.freeAt;
    let k = 0;
    for (let i = 1; i < w.length; i++) if (w[i]! < w[k]!) k = i;
    const end = Math.max(at, w[k]!) + ns;
    w[k] = end;
    return end;
  }
}
