// SPDX-License-Identifier: Apache-2.0
// One RX queue's page pool, as net/core/page_pool.c runs it with PP_FLAG_DMA_MAP (one pool per
// RX queue: mlx5e_alloc_rq(), bnxt, libeth_rx_fq_create() each create theirs):
//  - an alloc cache of PP_ALLOC_CACHE_SIZE pages, used last in, first out (alloc.cache[--count]),
//    that the driver's NAPI recycles into directly (page_pool_recycle_in_cache());
//  - a ptr_ring of pool_size entries (page_pool_init(): 1024 when the driver gives none, at most
//    16384) that pages freed outside NAPI come back to (page_pool_put_unrefed_netmem() with
//    allow_direct false: the socket's skb freed by the application's recvmsg()), first in, first
//    out; the cache refills from it PP_ALLOC_CACHE_REFILL pages at a time
//    (page_pool_refill_alloc_cache());
//  - the slow path when both are empty: a bulk of PP_ALLOC_CACHE_REFILL new pages, each
//    DMA-mapped once by page_pool_dma_map() (the mapping lives as long as the page is in the pool);
//    a pool of higher-order pages allocates one at a time (__page_pool_alloc_page_order());
//  - a page returned when the ring is full leaves the pool (page_pool_return_netmem(): unmapped,
//    freed) — under a strict IOMMU that unmap is an IOTLB invalidation, and its replacement a new
//    mapping on another IOVA.
// Simplified: pages are whole pages of the pool's order (no page_pool_alloc_frag()), NUMA is one
// node (no waive), and a page is recycled only once nobody holds it (refcount 1).

/** PP_ALLOC_CACHE_SIZE and PP_ALLOC_CACHE_REFILL (include/net/page_pool/types.h). */
export const PP_ALLOC_CACHE_SIZE = 128;
export const PP_ALLOC_CACHE_REFILL = 64;
/** page_pool_init(): the ptr_ring's size when pool_size is 0, and its bound. */
export const PP_RING_DEFAULT = 1024;
export const PP_RING_MAX = 16384;

export interface PoolPage {
  pa: number;
  dmaAddr: number;
  /** Buffers of this page the stack holds (skbs not yet freed). */
  refs: number;
  /** Ring slots that still post buffers from it (two for split pages). */
  onRing: number;
}

/** What the pool asks of the device: pages and their mappings. */
export interface PagePoolBackend {
  /** alloc_pages() of the pool's order; the physical address. */
  allocPage(): number;
  freePage(pa: number): void;
  /** dma_map_page_attrs() of the whole page; a negative address when it failed. */
  map(pa: number): number;
  unmap(dmaAddr: number): void;
}

/** A first-in, first-out ring of bounded size (the ptr_ring; the NIC's free ring slots). */
export class Fifo<T> {
  private readonly a: (T | undefined)[];
  private head = 0;
  n = 0;
  constructor(readonly capacity: number) {
    this.a = new Array<T | undefined>(capacity);
  }
  push(x: T): boolean {
    if (this.n === this.capacity) return false;
    this.a[(this.head + this.n) % this.capacity] = x;
    this.n++;
    return true;
  }
  shift(): T | undefined {
    if (this.n === 0) return undefined;
    const x = this.a[this.head];
    this.a[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.n--;
    return x;
  }
}

export class PagePool {
  private readonly cache: PoolPage[] = [];
  private readonly ring: Fifo<PoolPage>;
  /** Pages the pool has mapped and not yet released (pages_state_hold_cnt - release_cnt). */
  inflight = 0;
  /** Slow-path allocations (each a new page mapped) and pages released (unmapped), since creation. */
  readonly stats = { mapped: 0, released: 0 };

  /** Pages the slow path allocates at once: a bulk for order-0 pools, one page of a higher order. */
  private readonly bulk: number;

  constructor(
    private readonly be: PagePoolBackend,
    ringSize: number,
    order = 0,
  ) {
    this.ring = new Fifo(Math.min(ringSize || PP_RING_DEFAULT, PP_RING_MAX));
    this.bulk = order === 0 ? PP_ALLOC_CACHE_REFILL : 1;
  }

  /** page_pool_alloc_pages(): the cache, else a refill from the ring, else the slow path. */
  alloc(): PoolPage {
    let p = this.cache.pop();
    if (p) return p;
    while (this.cache.length < PP_ALLOC_CACHE_REFILL) {
      const r = this.ring.shift();
      if (!r) break;
      this.cache.push(r);
    }
    p = this.cache.pop();
    if (p) return p;
    // __page_pool_alloc_netmems_slow(): a bulk of pages, each mapped; the last one is returned.
    for (let i = 0; i < this.bulk; i++) {
      const pa = this.be.allocPage();
      const dmaAddr = this.be.map(pa);
      if (dmaAddr < 0) {
        this.be.freePage(pa);
        continue;
      }
      this.inflight++;
      this.stats.mapped++;
      this.cache.push({ pa, dmaAddr, refs: 0, onRing: 0 });
    }
    p = this.cache.pop();
    if (!p) throw new Error('nic: page pool dma mapping failed');
    return p;
  }

  /**
   * A page nobody holds any more comes back: into the cache when the driver's NAPI recycles it
   * (`direct`, page_pool_recycle_direct()) and the cache has room, else into the ring; a full ring
   * releases it.
   */
  put(p: PoolPage, direct: boolean): void {
    if (direct && this.cache.length < PP_ALLOC_CACHE_SIZE) {
      this.cache.push(p);
      return;
    }
    if (!this.ring.push(p)) this.release(p);
  }

  /** page_pool_return_netmem(): the page leaves the pool, unmapped and freed. */
  release(p: PoolPage): void {
    this.be.unmap(p.dmaAddr);
    this.be.freePage(p.pa);
    this.inflight--;
    this.stats.released++;
  }

  /** page_pool_destroy() of what the pool holds (the caller releases the pages out on the ring or in sockets). */
  destroy(): void {
    for (const p of this.cache.splice(0)) this.release(p);
    for (let p = this.ring.shift(); p; p = this.ring.shift()) this.release(p);
  }
}
