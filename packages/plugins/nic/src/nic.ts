// SPDX-License-Identifier: Apache-2.0
// A NIC and its Linux driver's data path, written against @iofleet/sdk only. Per queue (one per
// CPU, `jobs`): an RX ring of 32-byte and a TX ring of 16-byte descriptors in coherent memory, page aligned
// (ice_setup_rx_ring()/ice_setup_tx_ring() in drivers/net/ethernet/intel/ice/ice_txrx.c), and one
// packet buffer per ring slot. Two ways the driver gets DMA addresses for packet buffers:
//  - `map`: a streaming mapping per packet, as older drivers do (e1000e_alloc_rx_buffers() and
//    e1000_clean_rx_irq() in drivers/net/ethernet/intel/e1000e/netdev.c map and unmap every RX
//    skb; on TX every driver maps the skb per packet, ice_tx_map()/ice_unmap_and_free_tx_buf()).
//  - `pagepool`: RX buffers from a page pool per queue, pages mapped once when the pool takes them
//    and recycled, as the kernel's page pool does with PP_FLAG_DMA_MAP (page-pool.ts,
//    rx-buffers.ts: page_pool_dma_map() on the slow path, the alloc cache and ptr_ring, the
//    socket's hold until the application reads (`appRead`), ice's half-page flip or mlx5's 2 KiB
//    packing (`rxLayout`); mlx5 and bnxt use it, iavf and idpf through libeth). Per packet only
//    dma_sync_* calls remain. On TX buffers are mapped once per ring slot: pre-mapped buffers
//    (XDP_TX of page-pool pages, an AF_XDP umem mapped by xsk_pool_dma_map()).
// Per packet the driver writes a descriptor (refill on RX, xmit on TX); the device reads it, moves
// the packet, writes the descriptor back and raises the queue's MSI-X vector (vector 0 is the
// miscellaneous vector, as in ice); the driver cleans it in NAPI (unmap or recycle).
// `hugepages=1` backs the page pool with 2 MiB huge pages, each DMA-mapped once and carved into
// buffers — the page_pool change of Farshin et al., "Overcoming the IOTLB wall for multi-100-Gbps
// Linux-based networking" (PeerJ CS 2023, R25): with IOMMU superpages one IOTLB entry covers
// 512 pages of buffers.
//
// The link is one serial resource per direction shared by all queues (full duplex, IEEE 802.3
// clause 4): a packet occupies its direction's wire for pkt * 8 / gbps ns after the packet before
// it, so each direction's throughput cannot pass line rate. `dir=both` receives and transmits at
// once, alternating packets: RX and TX buffers, both rings and both directions' descriptors share
// the device's DMA path and the IOMMU's IOTLB and walkers, as one NIC's queues do. Interrupt
// moderation (ITR) is not modelled; the network stack above the driver is charged only as the
// `stackNs` option asks (CPU per packet: GRO, IP/TCP receive or transmit, the socket), 0 by default.
// `acks=N` makes the receiver TCP: an ACK per N received packets goes out on the queue's TX ring
// (descriptor, a 66-byte frame mapped per packet, write-back) — the TX traffic a receiving NIC
// carries, whose per-packet mappings miss the IOTLB under a strict IOMMU.
// Descriptors cost the device's DMA path their bytes (sdk bus.dma), not a page's time.

import {
  type DeviceContext,
  type DmaDirection,
  defineDevicePlugin,
  type IoHandle,
  optionBytes,
  optionEnum,
  optionFlag,
  optionInteger,
  optionNumber,
  type RawOptions,
  rejectUnknownOptions,
  SDK_VERSION,
  SdkError,
  SerialLink,
} from '@iofleet/sdk';
import { Fifo } from './page-pool';
import { NIC_HALF_PAGE, RxBuffers, type RxLayout, type RxSegment, rxGeometry } from './rx-buffers';

const PAGE = 4096;
/** TX descriptor size (struct ice_tx_desc). */
export const NIC_DESC_BYTES = 16;
/**
 * RX descriptor size: ice rings hold 32-byte descriptors (union ice_32byte_rx_desc, read and
 * written back as union ice_32b_rx_flex_desc; ice_setup_rx_ring() sizes the ring by them), so a
 * 256-entry RX ring spans two pages.
 */
export const NIC_RX_DESC_BYTES = 32;
/** ICE_ETH_PKT_HDR_PAD: Ethernet header, FCS and two VLAN tags on top of the MTU. */
export const NIC_FRAME_OVERHEAD = 14 + 4 + 2 * 4;
/** ICE_MAX_MTU (9728-byte max frame less ICE_ETH_PKT_HDR_PAD). */
export const NIC_MAX_MTU = 9728 - NIC_FRAME_OVERHEAD;
/** ICE_MAX_NUM_DESC: the largest ring. */
export const NIC_MAX_RING = 8160;
/** The runner's bound on I/Os in flight (MAX_IN_FLIGHT of the SDK runtime). */
const MAX_IN_FLIGHT = 65_536;
/** SR-IOV VFs the physical function advertises (TotalVFs). */
export const NIC_MAX_VFS = 64;
/**
 * Driver CPU work per packet outside the DMA API, ns. Assumption: ~300 ns per packet for the
 * driver alone (descriptor write and tail bump, NAPI clean, build_skb/xdp_buff, buffer recycle),
 * split between refill/xmit and clean; the network stack above the driver is not counted.
 */
const DRIVER_SUBMIT_NS = 100;
const DRIVER_COMPLETE_NS = 200;
/** Interrupt delivery and NAPI scheduling per packet, ns (assumption; no ITR coalescing). */
const COMPLETION_LATENCY_NS = 1_000;

export interface NicOptions {
  mode: 'map' | 'pagepool';
  mtu: number;
  pkt: number;
  dir: 'rx' | 'tx' | 'both';
  qd: number;
  jobs: number;
  gbps: number;
  vfs: number;
  hugepages: boolean;
  stackNs: number;
  acks: number;
  /** Page pool RX (mode=pagepool without hugepages): buffer layout, application read size, ptr_ring size. */
  rxLayout: RxLayout;
  appRead: number;
  /** null: the ring's buffers (qd x buffers per frame). */
  poolRing: number | null;
}

const KNOWN = [
  'mode',
  'mtu',
  'pkt',
  'dir',
  'qd',
  'jobs',
  'gbps',
  'vfs',
  'hugepages',
  'stackNs',
  'acks',
  'rxLayout',
  'appRead',
  'poolRing',
];
/** Bytes of a pure TCP ACK frame: Ethernet 14 + IPv4 20 + TCP 20 + timestamps 12. */
export const NIC_ACK_BYTES = 66;
/** Pages of a 2 MiB huge page. */
const HUGE_PAGES = 512;

export function parseNicOptions(raw: RawOptions): NicOptions {
  rejectUnknownOptions('nic', raw, KNOWN);
  const mtu = optionInteger(raw, 'mtu', 1500, 68, NIC_MAX_MTU);
  const maxPkt = mtu + NIC_FRAME_OVERHEAD;
  const pkt = optionBytes(raw, 'pkt', Math.min(1500, maxPkt), 60, NIC_MAX_MTU + NIC_FRAME_OVERHEAD);
  if (pkt > maxPkt)
    throw new SdkError('OPTION_INVALID', `option pkt=${pkt}: larger than mtu ${mtu} + ${NIC_FRAME_OVERHEAD}`, {
      key: 'pkt',
    });
  const qd = optionInteger(raw, 'qd', 256, 1, NIC_MAX_RING);
  const jobs = optionInteger(raw, 'jobs', 1, 1, 256);
  if (qd * jobs > MAX_IN_FLIGHT)
    throw new SdkError('OPTION_INVALID', `option qd=${qd} x jobs=${jobs}: above ${MAX_IN_FLIGHT} in flight`, {
      key: 'qd',
    });
  const mode = optionEnum(raw, 'mode', ['map', 'pagepool'] as const, 'pagepool');
  const hugepages = optionFlag(raw, 'hugepages', false);
  if (hugepages && mode !== 'pagepool')
    throw new SdkError(
      'OPTION_INVALID',
      'option hugepages=1: only a page pool (mode=pagepool) keeps huge pages mapped',
      {
        key: 'hugepages',
      },
    );
  const dir = optionEnum(raw, 'dir', ['rx', 'tx', 'both'] as const, 'rx');
  const pooled = mode === 'pagepool' && !hugepages && dir !== 'tx';
  for (const key of ['rxLayout', 'appRead', 'poolRing'])
    if (raw[key] !== undefined && !pooled)
      throw new SdkError(
        'OPTION_INVALID',
        `option ${key}: only page-pool RX buffers (mode=pagepool, no hugepages, dir rx or both) have it`,
        { key },
      );
  // ice's layout by default (rx-buffers.ts): half-page buffers flipped in their page, chained
  // over several 3 KiB buffers above MTU 1,500. pack needs a frame to fit 2 KiB.
  const rxLayout = optionEnum(raw, 'rxLayout', ['page', 'flip', 'pack'] as const, 'flip');
  if (rxLayout === 'pack' && maxPkt > NIC_HALF_PAGE)
    throw new SdkError(
      'OPTION_INVALID',
      `option rxLayout=pack: a ${maxPkt}-byte frame (mtu ${mtu}) does not fit half a page (${NIC_HALF_PAGE} bytes)`,
      { key: 'rxLayout' },
    );
  return {
    mode,
    mtu,
    pkt,
    dir,
    qd,
    jobs,
    gbps: optionNumber(raw, 'gbps', 100, 0.01, 1600),
    vfs: optionInteger(raw, 'vfs', 0, 0, NIC_MAX_VFS),
    hugepages,
    stackNs: optionNumber(raw, 'stackNs', 0, 0, 1e6),
    acks: optionInteger(raw, 'acks', 0, 0, 1024),
    rxLayout,
    appRead: optionBytes(raw, 'appRead', 0, 0, 64 * 1024 * 1024),
    // The drivers size the pool's ptr_ring to the ring (mlx5e_alloc_rq(): the RQ's pages;
    // libeth_rx_fq_create(): the queue's count): by default the ring's buffers; 0 takes
    // page_pool_init()'s 1024.
    poolRing: raw.poolRing === undefined ? null : optionInteger(raw, 'poolRing', 0, 0, 16384),
  };
}

interface Coherent {
  pa: number;
  dmaAddr: number;
}

interface NicQueue {
  rx: Coherent;
  tx: Coherent;
  /** Next descriptor to use (next_to_use) of the RX ring [0] and the TX ring [1]. */
  ntu: [number, number];
  /**
   * Free buffer slots of this queue, in ring order: the RX ring hands buffers to the device in
   * descriptor order and they come back in that order, so every buffer of the ring cycles through
   * (a stack would keep reusing a few hot buffers and hide the IOTLB working set).
   */
  free: Fifo<number>;
}

interface NicIo extends IoHandle {
  /** A received packet (else a transmitted one). */
  rx: boolean;
  queue: number;
  desc: number;
  slot: number;
  dmaAddr: number;
  /** Page-pool RX: the frame's share of each chained buffer (else null: one buffer at dmaAddr). */
  segs: RxSegment[] | null;
  /** A TCP ACK the receiver transmits with this packet: its TX descriptor and mapping, else -1. */
  ackDesc: number;
  ackAddr: number;
}

function createNic(ctx: DeviceContext, o: NicOptions) {
  const slots = o.qd * o.jobs;
  /** Receive buffer length (rx_buffer_len): the largest frame the MTU allows. */
  const bufLen = o.mtu + NIC_FRAME_OVERHEAD;
  const pagesPerBuf = Math.ceil(bufLen / PAGE);
  /** RX buffers from per-queue page pools (mode=pagepool without hugepages); TX keeps its slots' buffers. */
  const pooled = o.mode === 'pagepool' && !o.hugepages && o.dir !== 'tx';
  const geometry = pooled ? rxGeometry(o.rxLayout, o.mtu, o.pkt, pagesPerBuf) : null;
  /** RX descriptors per frame (ice chains a large frame over 3 KiB buffers) and per RX ring. */
  const chain = geometry?.chain ?? 1;
  const rxEntries = o.qd * chain;
  /** Ring sizes, rounded up to pages as ice_setup_rx_ring()/ice_setup_tx_ring() do: [RX, TX]. */
  const ringBytes = [rxEntries * NIC_RX_DESC_BYTES, o.qd * NIC_DESC_BYTES].map((b) => Math.ceil(b / PAGE) * PAGE) as [
    number,
    number,
  ];
  /** What a packet mapping covers: the whole receive buffer on RX, the packet on TX. */
  const mapLen = (rx: boolean) => (rx ? bufLen : o.pkt);
  const mapDir = (rx: boolean): DmaDirection => (rx ? 'from-device' : 'to-device');
  /** page_pool maps for the pool's dma_dir: from-device for RX, bidirectional for XDP_TX (and both). */
  const poolDir: DmaDirection = o.dir === 'rx' ? 'from-device' : 'bidirectional';
  const wireNs = (o.pkt * 8) / o.gbps;
  /** dir=both: the next packet's direction (alternating, RX first). */
  let nextRx = true;
  const takeDirection = () => {
    if (o.dir !== 'both') return o.dir === 'rx';
    nextRx = !nextRx;
    return !nextRx;
  };
  let queues: NicQueue[] = [];
  const rxPool = geometry
    ? new RxBuffers(ctx, {
        jobs: o.jobs,
        qd: o.qd,
        geometry,
        layout: o.rxLayout,
        appRead: o.appRead,
        poolRing: o.poolRing ?? rxEntries,
        dir: poolDir,
      })
    : null;
  /** Slots need buffers of their own unless every packet is received into the pool's pages. */
  const slotBuffers = !rxPool || o.dir === 'both';
  /** Physical address of each slot's buffer. */
  let buffers: number[] = [];
  /** DMA address of each slot: pool mappings (pagepool) or the live per-packet mapping (map), else -1. */
  let dma: number[] = [];
  /** hugepages=1: the pool's huge pages and their one mapping each. */
  let huge: Coherent[] = [];
  /** map mode: DMA addresses of the live per-packet mappings that are RX buffers. */
  const mappedRx = new Set<number>();
  /** Each direction's wire, [RX, TX]: packets cross it one after another. */
  const wires = [new SerialLink(), new SerialLink()];
  /** acks=N: received packets since each queue's last ACK, and each queue's ACK skb heads (one page each, reused in turn). */
  let sinceAck: number[] = [];
  let ackPages: number[][] = [];
  /** ACK mappings not yet cleaned (a run stopped with ACKs in flight unmaps them). */
  const liveAcks = new Set<number>();

  const stop = () => {
    if (!queues.length) return;
    if (o.hugepages) {
      // The slots' addresses lie inside the huge pages: one unmap and one free per huge page.
      for (const h of huge) {
        if (h.dmaAddr >= 0) ctx.dma.unmapSingle(h.dmaAddr, HUGE_PAGES * PAGE, poolDir);
        ctx.memory.freePages(h.pa, HUGE_PAGES);
      }
      huge = [];
    } else {
      for (const a of dma)
        if (a >= 0) {
          if (o.mode === 'pagepool') ctx.dma.unmapSingle(a, pagesPerBuf * PAGE, poolDir);
          // A packet still in flight (a faulted run), in the direction it was mapped for.
          else ctx.dma.unmapSingle(a, mapLen(mappedRx.has(a)), mapDir(mappedRx.has(a)));
        }
      for (const b of buffers) ctx.memory.freePages(b, pagesPerBuf);
    }
    rxPool?.stop();
    for (const a of liveAcks) ctx.dma.unmapSingle(a, NIC_ACK_BYTES, 'to-device');
    liveAcks.clear();
    for (const pages of ackPages) for (const pa of pages) ctx.memory.freePages(pa, 1);
    ackPages = [];
    for (const q of queues) {
      ctx.dma.freeCoherent(ringBytes[1], q.tx.pa, q.tx.dmaAddr);
      ctx.dma.freeCoherent(ringBytes[0], q.rx.pa, q.rx.dmaAddr);
    }
    queues = [];
    buffers = [];
    dma = [];
    mappedRx.clear();
  };

  const start = () => {
    if (queues.length) return;
    ctx.dma.setMask(64);
    for (const w of wires) w.reset();
    nextRx = true;
    try {
      for (let q = 0; q < o.jobs; q++) {
        const rxRing = ctx.dma.allocCoherent(ringBytes[0]);
        const txRing = rxRing && ctx.dma.allocCoherent(ringBytes[1]);
        if (!rxRing || !txRing) {
          if (rxRing) ctx.dma.freeCoherent(ringBytes[0], rxRing.pa, rxRing.dmaAddr);
          throw new Error('nic: cannot allocate descriptor rings');
        }
        const free = new Fifo<number>(o.qd);
        for (let i = 0; i < o.qd; i++) free.push(q * o.qd + i);
        queues.push({ rx: rxRing, tx: txRing, ntu: [0, 0], free });
        // ACK skb heads: at most one ACK per `acks` packets of the ring is in flight at once.
        ackPages.push(o.acks ? Array.from({ length: Math.ceil(o.qd / o.acks) }, () => ctx.memory.allocPages(1)) : []);
      }
      sinceAck = queues.map(() => 0);
      if (o.hugepages) {
        // Buffers carved from huge pages (page-aligned strides), each huge page mapped once.
        const perHuge = Math.floor(HUGE_PAGES / pagesPerBuf);
        for (let slot = 0; slot < slots; slot++) {
          const k = slot % perHuge;
          if (k === 0) {
            const pa = ctx.memory.allocPages(HUGE_PAGES, HUGE_PAGES);
            const h = { pa, dmaAddr: ctx.dma.mapSingle(pa, HUGE_PAGES * PAGE, poolDir) };
            huge.push(h);
            if (h.dmaAddr < 0) throw new Error('nic: page pool dma mapping of a huge page failed');
          }
          const h = huge[huge.length - 1]!;
          buffers.push(h.pa + k * pagesPerBuf * PAGE);
          dma.push(h.dmaAddr + k * pagesPerBuf * PAGE);
        }
      } else if (slotBuffers)
        for (let slot = 0; slot < slots; slot++) {
          buffers.push(ctx.memory.allocPages(pagesPerBuf));
          dma.push(-1);
        }
      rxPool?.start();
      if (o.mode === 'pagepool' && !o.hugepages)
        for (const [slot, pa] of buffers.entries()) {
          const a = ctx.dma.mapSingle(pa, pagesPerBuf * PAGE, poolDir); // page_pool_dma_map()
          if (a < 0) throw new Error('nic: page pool dma mapping failed');
          dma[slot] = a;
        }
    } catch (e) {
      if (!queues.length) throw e;
      stop();
      throw e;
    }
  };

  /** A free buffer slot: the CPU's own queue first, another queue's when a host runs more CPUs. */
  const takeSlot = (): { queue: number; slot: number } => {
    const own = ctx.cpu.id % o.jobs;
    for (let k = 0; k < o.jobs; k++) {
      const queue = (own + k) % o.jobs;
      const slot = queues[queue]!.free.shift();
      if (slot !== undefined) return { queue, slot };
    }
    throw new Error('nic: ring full (more packets in flight than qd x jobs)');
  };

  return {
    probe: () => {
      // ice_sriov_configure() enables VFs on request; the PF only records how many it will offer.
      if (o.vfs > 0) ctx.log.info(`nic: SR-IOV ${o.vfs} of ${NIC_MAX_VFS} VFs`);
    },
    reset: stop,
    remove: stop,
    workload: {
      queueDepth: o.qd,
      jobs: o.jobs,
      completionLatencyNs: COMPLETION_LATENCY_NS,
      start,
      stop,
      submit(): NicIo {
        if (!queues.length) start();
        const { queue, slot } = takeSlot();
        const rx = takeDirection();
        const q = queues[queue]!;
        const ring = rx ? 0 : 1;
        const desc = q.ntu[ring];
        q.ntu[ring] = rx ? (desc + chain) % rxEntries : (desc + 1) % o.qd;
        ctx.cpu.work(DRIVER_SUBMIT_NS + (rx ? 0 : o.stackNs)); // TX: the stack builds the packet first
        let dmaAddr: number;
        let segs: RxSegment[] | null = null;
        if (o.mode === 'map') {
          dmaAddr = ctx.dma.mapSingle(buffers[slot]!, mapLen(rx), mapDir(rx));
          if (dmaAddr < 0) {
            q.free.push(slot);
            throw new Error('nic: dma mapping failed');
          }
          dma[slot] = dmaAddr;
          if (rx) mappedRx.add(dmaAddr);
        } else if (rx && rxPool) {
          segs = rxPool.segments(slot, o.pkt);
          dmaAddr = segs[0]!.addr;
          // The refill hands each buffer back to the device, up to its length.
          for (const g of segs) ctx.dma.syncForDevice(g.addr, Math.min(bufLen, geometry!.bufLen), poolDir);
        } else {
          dmaAddr = dma[slot]!;
          // RX refill hands the buffer back to the device; TX hands it the packet just written.
          ctx.dma.syncForDevice(dmaAddr, rx ? bufLen : o.pkt, poolDir);
        }
        // A TCP receiver acknowledges every `acks` full-sized segments (RFC 5681 §4.2: at least
        // every second; Linux __tcp_ack_snd_check() when more than one full frame is unacked):
        // the ACK goes out on this queue's TX ring, its skb head mapped per packet as every
        // driver maps a TX skb (ice_tx_map()) and unmapped on TX completion — so under a strict
        // IOMMU each ACK's IOVA was invalidated since its last use and its read misses the IOTLB.
        let ackDesc = -1;
        let ackAddr = -1;
        if (rx && o.acks && ++sinceAck[queue]! >= o.acks) {
          sinceAck[queue] = 0;
          ackDesc = q.ntu[1];
          q.ntu[1] = (ackDesc + 1) % o.qd;
          const heads = ackPages[queue]!;
          ackAddr = ctx.dma.mapSingle(heads[ackDesc % heads.length]!, NIC_ACK_BYTES, 'to-device');
          if (ackAddr < 0) ackDesc = -1;
          else liveAcks.add(ackAddr);
        }
        return { bytes: o.pkt, rx, queue, desc, slot, dmaAddr, segs, ackDesc, ackAddr };
      },
      device(io: NicIo) {
        const { rx } = io;
        const q = queues[io.queue]!;
        const ring = rx ? q.rx : q.tx;
        const descBytes = rx ? NIC_RX_DESC_BYTES : NIC_DESC_BYTES;
        const segs = io.segs ?? [{ addr: io.dmaAddr, len: o.pkt }];
        /** The descriptor of each buffer the packet takes (a chained RX frame: one per buffer). */
        const descAddr = (k: number) => ring.dmaAddr + ((io.desc + k) % (rx ? rxEntries : o.qd)) * descBytes;
        for (const [k, g] of segs.entries()) {
          ctx.bus.dma(descAddr(k), descBytes, false); // descriptor fetch
          ctx.bus.dma(g.addr, g.len, rx); // packet: on RX the device writes memory
        }
        // The wire: this packet follows the one before it in its direction on the shared link.
        const now = ctx.bus.nowNs();
        ctx.bus.busy(wires[rx ? 0 : 1]!.send(now, wireNs) - now);
        for (let k = 0; k < segs.length; k++) ctx.bus.dma(descAddr(k), descBytes, true); // write-back (DD bit)
        if (io.ackDesc >= 0) {
          const ackDescAddr = q.tx.dmaAddr + io.ackDesc * NIC_DESC_BYTES;
          ctx.bus.dma(ackDescAddr, NIC_DESC_BYTES, false);
          ctx.bus.dma(io.ackAddr, NIC_ACK_BYTES, false); // the ACK frame (its wire time is negligible)
          ctx.bus.dma(ackDescAddr, NIC_DESC_BYTES, true);
        }
        ctx.raiseIrq(1 + io.queue);
      },
      complete(io: NicIo) {
        if (!queues.length) return;
        if (o.mode === 'map') {
          ctx.dma.unmapSingle(io.dmaAddr, mapLen(io.rx), mapDir(io.rx));
          mappedRx.delete(io.dmaAddr);
          dma[io.slot] = -1;
        } else if (io.rx) {
          for (const g of io.segs ?? [{ addr: io.dmaAddr, len: o.pkt }]) ctx.dma.syncForCpu(g.addr, g.len, poolDir);
          rxPool?.received(io.slot, o.pkt); // up the stack; the slot is refilled from the pool
        }
        if (io.ackDesc >= 0) {
          ctx.dma.unmapSingle(io.ackAddr, NIC_ACK_BYTES, 'to-device'); // TX clean
          liveAcks.delete(io.ackAddr);
        }
        ctx.cpu.work(DRIVER_COMPLETE_NS + (io.rx ? o.stackNs : 0)); // RX: the stack takes the packet up
        queues[io.queue]!.free.push(io.slot);
      },
    },
  };
}

export const nicPlugin = defineDevicePlugin<NicOptions>({
  name: 'nic',
  version: '0.1.0',
  sdk: `^${SDK_VERSION}`,
  description: 'NIC: RX/TX descriptor rings in coherent memory, per-packet dma_map_single or a pre-mapped page pool',
  capabilities: { sriov: { maxVfs: NIC_MAX_VFS } },
  parseOptions: parseNicOptions,
  create: createNic,
});
