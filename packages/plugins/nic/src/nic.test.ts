// SPDX-License-Identifier: Apache-2.0
// The built-in plugin passes the SDK's conformance suite through its package name, as a third
// party's plugin would, in page-pool mode (its default) and in per-packet map mode.
import { NIC_ACK_BYTES, NIC_DESC_BYTES, NIC_FRAME_OVERHEAD, NIC_RX_DESC_BYTES, nicPlugin } from '@iofleet/plugin-nic';
import type { RawOptions } from '@iofleet/sdk';
import { runDevicePluginConformance, TestEnvironment, type TestMode } from '@iofleet/sdk-testing';
import { describe, expect, it } from 'vitest';

runDevicePluginConformance(nicPlugin, {
  badOptions: [{ pkt: 1600 }, { mode: 'zerocopy' }, { qd: 2.5 }, { vfs: 65 }, { mtu: 10_000 }],
});
runDevicePluginConformance(nicPlugin, {
  options: { mode: 'map', dir: 'tx', mtu: 9000, pkt: 9000, qd: 64, jobs: 2, gbps: 25, vfs: 8 },
});

const run = (mode: TestMode, options: RawOptions, ios = 1000, cpus = 8) => {
  const env = new TestEnvironment(nicPlugin, { mode, options, cpus });
  env.probe();
  const r = env.run({ maxIos: ios });
  env.remove();
  return { env, r, singles: env.maps.filter((m) => m.kind === 'single') };
};

runDevicePluginConformance(nicPlugin, { options: { hugepages: '1', qd: 256, jobs: 3 } });
runDevicePluginConformance(nicPlugin, { options: { mode: 'map', dir: 'both', qd: 32, jobs: 2 } });
runDevicePluginConformance(nicPlugin, { options: { acks: '2', qd: 64, jobs: 2 } });

describe('nic', () => {
  it('stackNs charges the network stack per packet, on completion for RX and on submission for TX', () => {
    const base = run('pt', { qd: 64 }, 500).r.cpuNsPerIo;
    expect(run('pt', { qd: 64, stackNs: '400' }, 500).r.cpuNsPerIo - base).toBeCloseTo(400, 0);
    const txBase = run('pt', { qd: 64, dir: 'tx' }, 500).r.cpuNsPerIo;
    expect(run('pt', { qd: 64, dir: 'tx', stackNs: '250' }, 500).r.cpuNsPerIo - txBase).toBeCloseTo(250, 0);
    expect(() => nicPlugin.parseOptions({ stackNs: 'x' })).toThrow(/stackNs/);
  });

  it('hugepages=1: the pool is 2 MiB huge pages, each mapped once on a 2 MiB IOVA, so the IOTLB covers the ring', () => {
    const options = { qd: 1024, jobs: 4 };
    const huge = run('lazy', { ...options, hugepages: '1' }, 20_000);
    const HUGE = 2 * 1024 * 1024;
    expect(huge.singles).toHaveLength(Math.ceil(4096 / 512));
    expect(huge.singles.every((m) => m.length === HUGE && m.dmaAddr % HUGE === 0)).toBe(true);
    expect([...huge.env.live.values()]).toEqual([]);
    const small = run('lazy', options, 20_000);
    expect(small.singles).toHaveLength(4096);
    expect(huge.r.iotlbHitRate).toBeGreaterThan(small.r.iotlbHitRate);
    expect(() => nicPlugin.parseOptions({ mode: 'map', hugepages: '1' })).toThrow(/hugepages/);
  });

  it('map mode: one streaming mapping per packet, of the receive buffer on RX and the packet on TX', () => {
    const rx = run('strict', { mode: 'map', qd: 32 }, 300);
    expect(rx.r.ios).toBe(300);
    expect(rx.singles).toHaveLength(300);
    expect(rx.singles.every((m) => m.length === 1500 + NIC_FRAME_OVERHEAD && m.dir === 'from-device')).toBe(true);
    // descriptor fetch, packet, descriptor write-back; on RX the device writes the packet
    expect(rx.env.accesses).toHaveLength(3 * 300);
    // ice's RX descriptors are 32 bytes (fetch and write-back), TX descriptors 16
    expect(rx.env.accesses.filter((x) => x.length === NIC_RX_DESC_BYTES)).toHaveLength(2 * 300);
    expect(rx.env.accesses.filter((a) => a.length === 1500).every((a) => a.write)).toBe(true);
    expect(rx.env.irqs).toHaveLength(300);

    const tx = run('strict', { mode: 'map', dir: 'tx', pkt: 64, qd: 32 }, 300);
    expect(tx.singles).toHaveLength(300);
    expect(tx.singles.every((m) => m.length === 64 && m.dir === 'to-device')).toBe(true);
    expect(tx.env.accesses.filter((a) => a.length === 64).every((a) => !a.write)).toBe(true);
    expect(tx.env.accesses.filter((a) => a.length === NIC_DESC_BYTES)).toHaveLength(2 * 300);
    expect([...tx.env.live.values()]).toEqual([]);
  });

  it('dir=both receives and transmits at once: each direction its own ring and wire, one DMA path', () => {
    const both = run('strict', { mode: 'map', dir: 'both', qd: 32 }, 300);
    expect(both.r.ios).toBe(300);
    const rxMaps = both.singles.filter((m) => m.dir === 'from-device');
    const txMaps = both.singles.filter((m) => m.dir === 'to-device');
    expect(rxMaps).toHaveLength(150);
    expect(txMaps).toHaveLength(150);
    expect(rxMaps.every((m) => m.length === 1500 + NIC_FRAME_OVERHEAD)).toBe(true);
    expect(txMaps.every((m) => m.length === 1500)).toBe(true);
    const packets = both.env.accesses.filter((a) => a.length === 1500);
    expect(packets.filter((a) => a.write)).toHaveLength(150); // RX: the device writes memory
    expect([...both.env.live.values()]).toEqual([]);
    // Full duplex: each direction has its own wire, and the shared DMA path (l0 per 4 KiB of
    // data, descriptors by their bytes) has room for both at line rate: twice one direction.
    const o = { mtu: 4096, pkt: 4096, gbps: 100, jobs: 5, qd: 256 };
    const rx = run('pt', o, 20_000).r.gbps;
    const duplex = run('pt', { ...o, dir: 'both' }, 20_000).r.gbps;
    expect(rx).toBeGreaterThan(99);
    expect(duplex).toBeGreaterThan(1.95 * rx);
    expect(duplex).toBeLessThanOrEqual(2 * 100 * 1.0001);
    // Under a strict IOMMU both directions' buffers walk on one set of walkers and one DMA path.
    const strict = run('strict', { ...o, dir: 'both' }, 20_000).r.gbps;
    expect(strict).toBeLessThan(duplex);
  });

  it('1,500-byte frames reach line rate without an IOMMU: descriptors cost the DMA path only their bytes', () => {
    const r = run('pt', { jobs: 5, qd: 256 }, 40_000).r;
    expect(r.gbps).toBeGreaterThan(99);
    expect(r.gbps).toBeLessThanOrEqual(100 * 1.0001);
  });

  it('acks=N: a TCP receiver sends an ACK per N packets, mapped per packet on the TX ring; strict pays a walk for each', () => {
    const a = run('strict', { qd: 64, acks: '4' }, 400);
    const acks = a.singles.filter((m) => m.length === NIC_ACK_BYTES);
    expect(acks).toHaveLength(100);
    expect(acks.every((m) => m.dir === 'to-device')).toBe(true);
    expect(a.env.accesses.filter((x) => x.length === NIC_ACK_BYTES && !x.write)).toHaveLength(100);
    expect([...a.env.live.values()]).toEqual([]);
    // Device-bound 4 KiB frames: every ACK's mapping was invalidated since its last use, so ACKs
    // add walks and cost throughput under strict, nothing without an IOMMU.
    const o = { mtu: 4096, pkt: 4096, jobs: 5, qd: 256 };
    const gbps = (mode: TestMode, acks: string) => run(mode, { ...o, acks }, 20_000).r.gbps;
    expect(gbps('strict', '4')).toBeLessThan(0.95 * gbps('strict', '0'));
    expect(gbps('pt', '4')).toBeCloseTo(gbps('pt', '0'), 0);
    expect(() => nicPlugin.parseOptions({ acks: '1.5' })).toThrow(/acks/);
  });

  it('page-pool mode: the pool is mapped once, no per-packet mapping, far cheaper than map under strict', () => {
    const pool = run('strict', { mode: 'pagepool', qd: 64, jobs: 2 }, 2000);
    expect(pool.r.ios).toBe(2000);
    expect(pool.singles).toHaveLength(64 * 2); // one mapping per pool buffer, made at start()
    expect(pool.env.runtime.pagesHeld).toBe(0);
    expect([...pool.env.live.values()]).toEqual([]);

    const cpu = (mode: TestMode, m: 'map' | 'pagepool') => run(mode, { mode: m }, 2000).r.cpuNsPerIo;
    const mapStrict = cpu('strict', 'map');
    const poolStrict = cpu('strict', 'pagepool');
    // Per-packet map/unmap under a strict IOMMU costs several times the whole page-pool path.
    expect(mapStrict / poolStrict).toBeGreaterThan(4);
    expect(mapStrict).toBeGreaterThan(cpu('lazy', 'map'));
    // With the pool premapped the IOMMU mode no longer matters to the CPU.
    expect(poolStrict).toBeCloseTo(cpu('pt', 'pagepool'), 0);
  });

  it('the link is shared: throughput stays under line rate', () => {
    const slow = run('pt', { gbps: 10, jobs: 2 }, 2000);
    expect(slow.r.gbps).toBeLessThanOrEqual(10 * 1.0001);
    expect(slow.r.gbps).toBeGreaterThan(9);
  });
});
