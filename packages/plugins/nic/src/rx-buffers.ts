// SPDX-License-Identifier: Apache-2.0
// Receive buffers of a page-pool NIC (mode=pagepool): where each RX ring slot's buffer lies, when
// its page goes back to the queue's pool (page-pool.ts), and when the pool has to map new pages.
//
// Layouts (`rxLayout`), from the drivers:
//  - `page`: a buffer of whole pages per frame (`pagesPerBuf`): every received frame takes its page
//    up the stack and the slot is refilled from the pool (page_pool_dev_alloc_pages() in the refill
//    of mlx5e/bnxt/libeth drivers; for a 4 KiB frame, what mlx5's striding RQ comes to: one new
//    page per frame).
//  - `flip`: ice's half-page buffers (ice_txrx.c), the plugin's default: each buffer owns a page
//    and receives into its halves in turn (ice_rx_buf_adjust_pg_offset(): page_offset ^= truesize,
//    truesize = half the page). At MTU <= 1,500 a 4 KiB page of two 2 KiB halves, a buffer of
//    ICE_RXBUF_1536 - NET_IP_ALIGN; above, an order-1 8 KiB page of two 4 KiB halves and a buffer
//    of ICE_RXBUF_3072 (ice_vsi_cfg_frame_size(), ice_rx_pg_order()), so a larger frame is chained
//    over ceil(frame / 3,072) buffers, one descriptor each (ice_is_non_eop()). A buffer keeps its
//    page only while the stack holds no other half of it (ice_can_reuse_rx_page(): page_count -
//    pagecnt_bias <= 1); else it drops the page (ice unmaps it at once, ice_put_rx_buf(); here it
//    goes back to the pool once the stack frees it) and takes a new one. One page per buffer: the
//    IOTLB sees as many pages as the ring has buffers, half a page of data each time.
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
/** ICE_RXBUF_1536 - NET_IP_ALIGN and ICE_RXBUF_3072: ice's RX buffer lengths. */
const ICE_RXBUF_1534 = 1536 - 2;
const ICE_RXBUF_3072 = 3072;
/** ETH_DATA_LEN: ice's limit for half-page buffers of a 4 KiB page. */
const ETH_DATA_LEN = 1500;

export type RxLayout = 'page' | 'flip' | 'pack';

/** Where a layout puts a frame: the pool's page size, the halves of it, a buffer's length, buffers per frame. */
export interface RxGeometry {
  pageBytes: number;
  /** Offset of a page's second buffer (0: one buffer per page). */
  half: number;
  bufLen: number;
  /** Buffers (and RX descriptors) one frame takes. */
  chain: number;
}

export function rxGeometry(layout: RxLayout, mtu: number, pkt: number, pagesPerBuf: number): RxGeometry {
  if (layout === 'page') {
    // A page pool hands out pages of one order: the smallest power of two that holds the frame.
    const pageBytes = 2 ** Math.ceil(Math.log2(pagesPerBuf)) * PAGE;
    return { pageBytes, half: 0, bufLen: pageBytes, chain: 1 };
  }
  if (layout === 'pack') return { pageBytes: PAGE, half: NIC_HALF_PAGE, bufLen: NIC_HALF_PAGE, chain: 1 };
  const small = mtu <= ETH_DATA_LEN;
  const bufLen = small ? ICE_RXBUF_1534 : ICE_RXBUF_3072;
  const pageBytes = small ? PAGE : 2 * PAGE; // ice_rx_pg_order(): order 1 when a buffer is over half a 4 KiB page
  return { pageBytes, half: pageBytes / 2, bufLen, chain: Math.ceil(pkt / bufLen) };
}

export interface RxBufferOptions {
  jobs: number;
  qd: number;
  geometry: RxGeometry;
  layout: RxLayout;
  /** Bytes the application reads at once; 0: the stack frees each frame in NAPI. */
  appRead: number;
  /** The pool's ptr_ring size (page_pool_params.pool_size); 0 for page_pool's default. */
  poolRing: number;
  dir: DmaDirection;
}

/** One buffer's share of a frame: where the device writes it and how many bytes. */
export interface RxSegment {
  addr: number;
  len: number;
}

interface Held {
  pages: PoolPage[];
  bytes: number;
}

export class RxBuffers {
  private pools: PagePool[] = [];
  /** Each buffer's page and offset in it (buffer b of slot s: s * chain + b). */
  private page: (PoolPage | null)[] = [];
  private off: number[] = [];
  /** pack: the page the next odd buffer of each queue shares with the even one before it. */
  private pairPage: (PoolPage | null)[] = [];
  private held: Held[] = [];
  private readonly g: RxGeometry;
  /** Buffers per queue. */
  private readonly perQueue: number;

  constructor(
    private readonly ctx: DeviceContext,
    private readonly o: RxBufferOptions,
  ) {
    this.g = o.geometry;
    this.perQueue = o.qd * this.g.chain;
  }

  get started(): boolean {
    return this.pools.length > 0;
  }

  start(): void {
    const { ctx, o, g } = this;
    const pages = g.pageBytes / PAGE;
    for (let q = 0; q < o.jobs; q++) {
      this.pools.push(
        new PagePool(
          {
            allocPage: () => ctx.memory.allocPages(pages),
            freePage: (pa) => ctx.memory.freePages(pa, pages),
            map: (pa) => ctx.dma.mapSingle(pa, g.pageBytes, o.dir), // page_pool_dma_map()
            unmap: (a) => ctx.dma.unmapSingle(a, g.pageBytes, o.dir),
          },
          o.poolRing,
          Math.log2(pages), // page_pool_params.order
        ),
      );
      this.held.push({ pages: [], bytes: 0 });
      this.pairPage.push(null);
    }
    // The driver fills each ring when the queue starts (ice_alloc_rx_bufs(), mlx5e_post_rx_wqes()).
    for (let b = 0; b < o.jobs * this.perQueue; b++) {
      this.page.push(null);
      this.off.push(0);
      this.refill(b);
    }
  }

  /** Where the device writes a frame of `bytes` received in `slot`: one segment per chained buffer. */
  segments(slot: number, bytes: number): RxSegment[] {
    const segs: RxSegment[] = [];
    for (let k = 0, left = bytes; k < this.g.chain && left > 0; k++, left -= this.g.bufLen) {
      const b = slot * this.g.chain + k;
      segs.push({ addr: this.page[b]!.dmaAddr + this.off[b]!, len: Math.min(left, this.g.bufLen) });
    }
    return segs;
  }

  /** The driver's NAPI clean of a frame of `bytes` in `slot`: up the stack, then the buffers' refill. */
  received(slot: number, bytes: number): void {
    const q = Math.floor(slot / this.o.qd);
    const h = this.held[q]!;
    const drop: number[] = [];
    for (let k = 0; k < this.g.chain; k++) {
      const b = slot * this.g.chain + k;
      const p = this.page[b]!;
      p.refs++;
      // flip: ice_put_rx_buf() keeps the page for the buffer's other half only if the stack holds
      // no other buffer of it; page and pack: the frame takes its share of the page up the stack.
      const keep = this.o.layout === 'flip' && p.refs <= 1;
      if (keep) this.off[b] = this.off[b] === 0 ? this.g.half : 0;
      else {
        p.onRing--;
        drop.push(b);
      }
      h.pages.push(p);
    }
    h.bytes += bytes;
    // With appRead=0 the stack is done with the frame within the NAPI poll, before the refill.
    if (h.bytes >= this.o.appRead) this.read(q);
    for (const b of drop) this.refill(b);
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

  /** A new page for buffer b from its queue's pool (or, pack's odd buffers, the page shared with the one before). */
  private refill(b: number): void {
    const q = Math.floor(b / this.perQueue);
    let p: PoolPage;
    let off = 0;
    const odd = (b % this.perQueue) % 2 === 1;
    if (this.o.layout === 'pack' && odd && this.pairPage[q]) {
      p = this.pairPage[q]!;
      this.pairPage[q] = null;
      off = this.g.half;
    } else {
      p = this.pools[q]!.alloc();
      if (this.o.layout === 'pack') this.pairPage[q] = odd ? null : p;
    }
    p.onRing++;
    this.page[b] = p;
    this.off[b] = off;
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
    this.page.forEach((p, b) => {
      if (!p) return;
      p.onRing--;
      pages.set(p, Math.floor(b / this.perQueue));
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
