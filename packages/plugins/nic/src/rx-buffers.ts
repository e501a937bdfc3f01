// SPDX-License-Identifier: Apache-2.0
// Receive buffers of a page-pool NIC (mode=pagepool): where each RX ring slot's buffer lies, when
// its page goes back to the queue's pool (page-pool.ts), and when the pool has to map new pages.
//
// Layouts (`rxLayout`), from the drivers:
//  - `page`: a buffer per page (of `pagesPerBuf` pages): every received frame takes its page up
//    the stack and the slot is refilled from the pool (page_pool_dev_alloc_pages() in the refill
//    of mlx5e/bnxt/libeth drivers).
//  - `flip`: ice's half-page buffers (ice_txrx.c): each slot owns a page and receives into its
//    halves in turn (ice_rx_buf_adjust_pg_offset(): page_offset ^= truesize, truesize = half the
//    page, ICE_RXBUF_2048 / ICE_RXBUF_1536 - NET_IP_ALIGN at MTU <= 1,500). The slot keeps the page
//    only while the stack holds no other half of it (ice_can_reuse_rx_page(): page_count -
//    pagecnt_bias <= 1); else it drops the page (ice unmaps it at once, ice_put_rx_buf(); here it
//    goes back to the pool once the stack frees it) and takes a new one. One page per slot: the
//    IOTLB sees as many pages as the ring has slots, half a page of data each time.
//  - `pack`: two consecutive slots share a page, 2 KiB strides (mlx5e_init_frags_partition() lays
//    the legacy RQ's 2 KiB fragments of consecutive WQEs into one page; page_pool_alloc_frag()
//    users do the same): consecutive frames hit the same IOTLB entry.
// The socket: frames a queue received stay held by the stack until the application reads them
// (`appRead` bytes at a time, iperf's read length; tcp_recvmsg() frees the skbs and with them the
// pages, which page_pool_put_unrefed_netmem() puts in the pool's ring: not NAPI context). With
// appRead=0 the stack frees each frame in NAPI (the pages go straight back to the alloc cache).
// Simplified: the application reads exactly `appRead` bytes whenever that much is queued (a real
// recv() returns what is there, up to its length), and one flow runs per queue (aRFS).

import type { DeviceContext, DmaDirection } from '@iofleet/sdk';
import { PagePool, type PoolPage } from './page-pool';

const PAGE = 4096;
/** Half a 4 KiB page: ice's truesize at MTU <= 1,500, and mlx5's 2 KiB fragment stride. */
export const NIC_HALF_PAGE = 2048;

export type RxLayout = 'page' | 'flip' | 'pack';

export interface RxBufferOptions {
  jobs: number;
  qd: number;
  /** Pages of one buffer (`page` layout); the split layouts use 4 KiB pages. */
  pagesPerBuf: number;
  layout: RxLayout;
  /** Bytes the application reads at once; 0: the stack frees each frame in NAPI. */
  appRead: number;
  /** The pool's ptr_ring size (page_pool_params.pool_size); 0 for page_pool's default. */
  poolRing: number;
  dir: DmaDirection;
}

interface Held {
  pages: PoolPage[];
  bytes: number;
}

export class RxBuffers {
  private pools: PagePool[] = [];
  /** Each slot's page and offset in it. */
  private page: (PoolPage | null)[] = [];
  private off: number[] = [];
  /** pack: the page the next odd slot of each queue shares with the even slot before it. */
  private pairPage: (PoolPage | null)[] = [];
  private held: Held[] = [];
  private readonly pageBytes: number;

  constructor(
    private readonly ctx: DeviceContext,
    private readonly o: RxBufferOptions,
  ) {
    this.pageBytes = (o.layout === 'page' ? o.pagesPerBuf : 1) * PAGE;
  }

  get started(): boolean {
    return this.pools.length > 0;
  }

  /** Pages mapped and released over the run, all queues (page-pool stats: slow allocs, released). */
  get poolStats(): { mapped: number; released: number } {
    return this.pools.reduce(
      (a, p) => ({ mapped: a.mapped + p.stats.mapped, released: a.released + p.stats.released }),
      {
        mapped: 0,
        released: 0,
      },
    );
  }

  start(): void {
    const { ctx, o } = this;
    const pages = this.pageBytes / PAGE;
    for (let q = 0; q < o.jobs; q++) {
      this.pools.push(
        new PagePool(
          {
            allocPage: () => ctx.memory.allocPages(pages),
            freePage: (pa) => ctx.memory.freePages(pa, pages),
            map: (pa) => ctx.dma.mapSingle(pa, this.pageBytes, o.dir), // page_pool_dma_map()
            unmap: (a) => ctx.dma.unmapSingle(a, this.pageBytes, o.dir),
          },
          o.poolRing,
        ),
      );
      this.held.push({ pages: [], bytes: 0 });
      this.pairPage.push(null);
    }
    // The driver fills each ring when the queue starts (ice_alloc_rx_bufs(), mlx5e_post_rx_wqes()).
    for (let slot = 0; slot < o.jobs * o.qd; slot++) {
      this.page.push(null);
      this.off.push(0);
      this.refill(slot);
    }
  }

  /** The DMA address the device writes the slot's next frame to. */
  addr(slot: number): number {
    return this.page[slot]!.dmaAddr + this.off[slot]!;
  }

  /** The driver's NAPI clean of a frame of `bytes` in `slot`: up the stack, then the slot's refill. */
  received(slot: number, bytes: number): void {
    const q = Math.floor(slot / this.o.qd);
    const p = this.page[slot]!;
    p.refs++;
    // flip: ice_put_rx_buf() keeps the page for the slot's other half only if the stack holds no
    // other buffer of it; page and pack: the frame takes its share of the page up the stack.
    const keep = this.o.layout === 'flip' && p.refs <= 1;
    if (keep) this.off[slot] = this.off[slot]! ^ NIC_HALF_PAGE;
    else p.onRing--;
    const h = this.held[q]!;
    h.pages.push(p);
    h.bytes += bytes;
    // With appRead=0 the stack is done with the frame within the NAPI poll, before the refill.
    if (h.bytes >= this.o.appRead) this.read(q);
    if (!keep) this.refill(slot);
  }

  /** The application reads what queue q's socket holds: the skbs are freed, their pages return. */
  private read(q: number): void {
    const h = this.held[q]!;
    for (const p of h.pages) this.unref(q, p, this.o.appRead === 0);
    h.pages = [];
    h.bytes = 0;
  }

  private unref(q: number, p: PoolPage, direct: boolean): void {
    p.refs--;
    if (p.refs === 0 && p.onRing === 0) this.pools[q]!.put(p, direct);
  }

  /** A new buffer for the slot from its queue's pool (or, pack's odd slots, the page shared with the slot before). */
  private refill(slot: number): void {
    const q = Math.floor(slot / this.o.qd);
    const pool = this.pools[q]!;
    let p: PoolPage;
    let off = 0;
    const odd = (slot % this.o.qd) % 2 === 1;
    if (this.o.layout === 'pack' && odd && this.pairPage[q]) {
      p = this.pairPage[q]!;
      this.pairPage[q] = null;
      off = NIC_HALF_PAGE;
    } else {
      p = pool.alloc();
      if (this.o.layout === 'pack') this.pairPage[q] = odd ? null : p;
    }
    p.onRing++;
    this.page[slot] = p;
    this.off[slot] = off;
  }

  stop(): void {
    if (!this.started) return;
    // The application exits: its sockets' pages come back; the rings' pages are taken off them.
    const pages = new Map<PoolPage, number>();
    for (let q = 0; q < this.o.jobs; q++)
      for (const p of this.held[q]!.pages) {
        p.refs--;
        pages.set(p, q);
      }
    this.page.forEach((p, slot) => {
      if (!p) return;
      p.onRing--;
      pages.set(p, Math.floor(slot / this.o.qd));
    });
    for (const [p, q] of pages) if (p.refs === 0 && p.onRing === 0) this.pools[q]!.release(p);
    for (const pool of this.pools) pool.destroy();
    this.pools = [];
    this.page = [];
    this.off = [];
    this.pairPage = [];
    this.held = [];
  }
}
