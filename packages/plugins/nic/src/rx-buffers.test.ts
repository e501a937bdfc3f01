// SPDX-License-Identifier: Apache-2.0
// The page pool (page-pool.ts) against net/core/page_pool.c's order of things, and the NIC's RX
// buffers from it: the socket's hold (appRead), ice's half-page flip and mlx5's 2 KiB packing.
import { NIC_RX_DESC_BYTES, nicPlugin } from '@iofleet/plugin-nic';
import type { RawOptions } from '@iofleet/sdk';
import { runDevicePluginConformance, TestEnvironment, type TestMode } from '@iofleet/sdk-testing';
import { describe, expect, it } from 'vitest';
import { PagePool, type PoolPage, PP_ALLOC_CACHE_REFILL, PP_ALLOC_CACHE_SIZE } from './page-pool';

runDevicePluginConformance(nicPlugin, { options: { appRead: '16k', qd: 64, jobs: 2 } });
runDevicePluginConformance(nicPlugin, { options: { rxLayout: 'pack', appRead: '8k', qd: 32, jobs: 2 } });
runDevicePluginConformance(nicPlugin, { options: { dir: 'both', appRead: '64k', poolRing: '16', qd: 64, jobs: 2 } });
runDevicePluginConformance(nicPlugin, { options: { mtu: 9000, pkt: 9000, appRead: '64k', qd: 32, jobs: 2 } });

function fakePool(ring: number, order = 0) {
  let next = 0x10_0000;
  const log = { maps: 0, unmaps: 0, pages: 0 };
  const pool = new PagePool(
    {
      allocPage: () => {
        log.pages++;
        next += 4096;
        return next;
      },
      freePage: () => {
        log.pages--;
      },
      map: (pa) => {
        log.maps++;
        return pa + 0x1_0000_0000;
      },
      unmap: () => {
        log.unmaps++;
      },
    },
    ring,
    order,
  );
  return { pool, log };
}

const run = (mode: TestMode, options: RawOptions, ios: number) => {
  const env = new TestEnvironment(nicPlugin, { mode, options, cpus: 8 });
  env.probe();
  const r = env.run({ maxIos: ios });
  env.remove();
  return { env, r, singles: env.maps.filter((m) => m.kind === 'single') };
};

describe('page pool', () => {
  it('maps a bulk of 64 pages on its slow path, hands out the cache last in first out, refills it from the ring first in first out', () => {
    const { pool, log } = fakePool(256);
    const a = pool.alloc();
    expect(log.maps).toBe(PP_ALLOC_CACHE_REFILL);
    const b = pool.alloc();
    expect(b.pa).toBe(a.pa - 4096); // the bulk's pages come off the cache from its end
    pool.put(a, true);
    expect(pool.alloc()).toBe(a); // NAPI recycling: straight back from the cache
    // Pages freed outside NAPI go to the ring; the cache takes them back in the order they came.
    const taken: PoolPage[] = [a, b];
    for (let i = 2; i < PP_ALLOC_CACHE_REFILL; i++) taken.push(pool.alloc());
    expect(log.maps).toBe(PP_ALLOC_CACHE_REFILL);
    for (const p of taken) pool.put(p, false);
    const again = pool.alloc();
    expect(log.maps).toBe(PP_ALLOC_CACHE_REFILL); // no new mapping: the ring had them
    expect(again).toBe(taken[taken.length - 1]); // refill moved 64 in ring order; the last moved comes first
    expect(pool.inflight).toBe(PP_ALLOC_CACHE_REFILL);
  });

  it('a pool of higher-order pages allocates and maps one at a time (__page_pool_alloc_page_order)', () => {
    const { pool, log } = fakePool(256, 1);
    pool.alloc();
    expect(log.maps).toBe(1);
    pool.alloc();
    expect(log.maps).toBe(2);
  });

  it('a page returned to a full ring leaves the pool, unmapped; the cache holds PP_ALLOC_CACHE_SIZE', () => {
    const { pool, log } = fakePool(4);
    const pages = Array.from({ length: 3 * PP_ALLOC_CACHE_REFILL }, () => pool.alloc());
    expect(log.maps).toBe(3 * PP_ALLOC_CACHE_REFILL);
    for (const p of pages.slice(0, 10)) pool.put(p, false);
    expect(log.unmaps).toBe(10 - 4);
    for (const p of pages.slice(10)) pool.put(p, true);
    // 128 fit in the cache, the rest find the ring full.
    expect(log.unmaps).toBe(6 + (pages.length - 10 - PP_ALLOC_CACHE_SIZE));
    pool.destroy();
    expect(log.unmaps).toBe(log.maps);
    expect(log.pages).toBe(0);
    expect(pool.inflight).toBe(0);
  });
});

describe('nic RX buffers from page pools', () => {
  it('appRead: pages the socket holds until the application reads make the pool map more pages than the ring has', () => {
    const o = { mtu: 4096, pkt: 4096, qd: 64, jobs: 2, rxLayout: 'page' };
    const napi = run('strict', o, 4000);
    expect(napi.singles).toHaveLength(2 * 64); // the rings' buffers, recycled in NAPI
    const held = run('strict', { ...o, appRead: '256k' }, 4000);
    // Each queue circulates its ring plus the frames of a 256 KiB read (64), less the one whose
    // arrival triggers the read before its slot is refilled; 8 KiB pages (order 1) are allocated
    // one at a time, so exactly those are mapped.
    expect(held.singles).toHaveLength(2 * (64 + 64 - 1));
    expect(held.singles.every((m) => m.length === 2 * 4096 && m.dir === 'from-device')).toBe(true);
    expect([...held.env.live.values()]).toEqual([]);
    expect(held.env.runtime.pagesHeld).toBe(0);
  });

  it('a ptr_ring smaller than what the application returns at once releases pages, and the pool maps new ones', () => {
    const o = { mtu: 4096, pkt: 4096, qd: 64, jobs: 1, appRead: '1m', rxLayout: 'page' };
    const roomy = run('strict', { ...o, poolRing: '1024' }, 3000);
    const tight = run('strict', { ...o, poolRing: '8' }, 3000);
    // Roomy: the ring, one 1 MiB read's 256 buffers and the cache's leftovers, each mapped once.
    expect(roomy.singles.length).toBeLessThanOrEqual(64 + 256 + PP_ALLOC_CACHE_REFILL);
    // Tight: every read overflows the ring; what is released is mapped again as new pages.
    expect(tight.singles.length).toBeGreaterThan(2 * roomy.singles.length);
    expect([...tight.env.live.values()]).toEqual([]);
    // Under strict each release is an unmap with its invalidation: CPU time the roomy ring does not pay.
    expect(tight.r.cpuNsPerIo).toBeGreaterThan(roomy.r.cpuNsPerIo);
  });

  it('ice at 1,500 bytes: each slot owns a page and receives into its halves in turn (page_offset ^= 2048)', () => {
    const o = { qd: 32, jobs: 1 };
    const flip = run('lazy', o, 640);
    expect(flip.singles).toHaveLength(PP_ALLOC_CACHE_REFILL); // 32 slots' pages, mapped as one bulk
    const data = flip.env.accesses.filter((a) => a.length === 1500);
    const pages = new Set(data.map((a) => Math.floor(a.dmaAddr / 4096)));
    expect(pages.size).toBe(32);
    expect(new Set(data.map((a) => a.dmaAddr % 4096))).toEqual(new Set([0, 2048]));
    // A slot's next frame lands in the other half of the same page.
    expect(data[32]!.dmaAddr - data[0]!.dmaAddr).toBe(2048);
    // The page still costs the IOTLB one entry per slot: as many misses as a page per buffer.
    const big = { jobs: 5, qd: 256 };
    const perPage = run('strict', { ...big, rxLayout: 'page' }, 20_000).r;
    const flipped = run('strict', big, 20_000).r;
    expect(flipped.iotlbMissesPerIo).toBeCloseTo(perPage.iotlbMissesPerIo, 1);
    expect(() => nicPlugin.parseOptions({ mtu: 4096, rxLayout: 'pack' })).toThrow(/half a page/);
    expect(() => nicPlugin.parseOptions({ mode: 'map', appRead: '4k' })).toThrow(/appRead/);
    expect(() => nicPlugin.parseOptions({ dir: 'tx', poolRing: '64' })).toThrow(/poolRing/);
    expect(() => nicPlugin.parseOptions({ hugepages: '1', rxLayout: 'page' })).toThrow(/rxLayout/);
  });

  it('ice above 1,500 bytes: 3 KiB buffers in the halves of 8 KiB pages, a larger frame chained over several', () => {
    const o = { mtu: 4096, pkt: 4096, qd: 32, jobs: 1 };
    const ice = run('lazy', o, 640);
    // 64 buffers (two per frame), each its own 8 KiB page, mapped whole.
    expect(ice.singles).toHaveLength(64);
    expect(ice.singles.every((m) => m.length === 8192 && m.dir === 'from-device')).toBe(true);
    // Each frame: 3,072 bytes in one buffer and 1,024 in the next, each with its own descriptor.
    const data = ice.env.accesses.filter((a) => a.write && a.length > 64);
    expect(data.filter((a) => a.length === 3072)).toHaveLength(640);
    expect(data.filter((a) => a.length === 1024)).toHaveLength(640);
    expect(ice.env.accesses.filter((a) => a.length === NIC_RX_DESC_BYTES)).toHaveLength(2 * 2 * 640);
    expect(new Set(data.map((a) => a.dmaAddr % 8192))).toEqual(new Set([0, 4096]));
    // Two pages per 4 KiB frame where a page buffer takes one: twice the misses on 5 x 256 frames.
    const big = { mtu: 4096, pkt: 4096, jobs: 5, qd: 256 };
    const chained = run('strict', big, 20_000).r;
    const paged = run('strict', { ...big, rxLayout: 'page' }, 20_000).r;
    expect(chained.iotlbMissesPerIo).toBeGreaterThan(1.9);
    expect(paged.iotlbMissesPerIo).toBeLessThan(1.1);
    expect(chained.gbps).toBeLessThan(paged.gbps);
    expect([...ice.env.live.values()]).toEqual([]);
  });

  it('flip: a slot drops its page when the stack still holds the other half (ice_can_reuse_rx_page), and takes a new one', () => {
    const o = { qd: 32, jobs: 1 };
    // 16 KiB read at a time: 11 frames held at most, fewer than the ring's 32 slots, so a slot's
    // other half is always back when it comes round: the 32 pages serve every frame.
    expect(run('strict', { ...o, appRead: '16k' }, 2000).singles).toHaveLength(PP_ALLOC_CACHE_REFILL);
    // 96 KiB: 65 frames held, more than a lap of the ring: slots find their other half held and
    // take other pages (the bulk's spares first).
    const held = run('strict', { ...o, appRead: '96k' }, 2000);
    const data = held.env.accesses.filter((a) => a.length === 1500);
    expect(new Set(data.map((a) => Math.floor(a.dmaAddr / 4096))).size).toBeGreaterThan(32);
    expect([...held.env.live.values()]).toEqual([]);
    // 256 KiB: 175 frames held, more pages than the first bulk: the pool maps more.
    expect(run('strict', { ...o, appRead: '256k' }, 2000).singles.length).toBeGreaterThan(PP_ALLOC_CACHE_REFILL);
  });

  it('pack: consecutive slots share a page, so a 5 x 256 ring at 1,500 bytes misses half as often and walks half as much', () => {
    const big = { jobs: 5, qd: 256 };
    const flip = run('strict', big, 20_000).r;
    const pack = run('strict', { ...big, rxLayout: 'pack' }, 20_000).r;
    expect(flip.iotlbMissesPerIo).toBeGreaterThan(0.95); // every frame's page misses a 512-entry IOTLB
    expect(pack.iotlbMissesPerIo).toBeLessThan(0.6 * flip.iotlbMissesPerIo);
    expect(pack.walkReadsPerIo).toBeGreaterThanOrEqual(pack.iotlbMissesPerIo);
    expect(pack.gbps).toBeGreaterThan(flip.gbps);
    // The figures a run reports agree with its hit rate (3 translations per frame: descriptor, data, write-back).
    expect(flip.iotlbMissesPerIo).toBeCloseTo(3 * (1 - flip.iotlbHitRate), 2);
  });
});
