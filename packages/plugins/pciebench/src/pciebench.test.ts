// SPDX-License-Identifier: Apache-2.0
// The built-in plugin passes the SDK's conformance suite through its package name, as a third
// party's plugin would, for reads (its default) and writes.
import { linkBytes, PCIEBENCH_MAX_TAGS, pciebenchPlugin } from '@iofleet/plugin-pciebench';
import { isSdkError, type RawOptions } from '@iofleet/sdk';
import { runDevicePluginConformance, TestEnvironment, type TestMode } from '@iofleet/sdk-testing';
import { describe, expect, it } from 'vitest';

runDevicePluginConformance(pciebenchPlugin);
runDevicePluginConformance(pciebenchPlugin, { options: { rw: 'write', size: 256, window: '1m', pattern: 'seq' } });

const run = (mode: TestMode, options: RawOptions, ios = 2000) => {
  const env = new TestEnvironment(pciebenchPlugin, { mode, options });
  env.probe();
  const r = env.run({ maxIos: ios, durationNs: 1e9 });
  return { env, r };
};

const code = (raw: RawOptions) => {
  try {
    pciebenchPlugin.parseOptions(raw);
  } catch (e) {
    return isSdkError(e) ? `${e.code} ${e.message}` : `untyped: ${String(e)}`;
  }
  return 'accepted';
};

describe('pciebench', () => {
  it('maps its buffer once and reads size-aligned offsets inside the window, no CPU work, no interrupts', () => {
    const { env, r } = run('strict', { size: 128, window: '64k' }, 3000);
    expect(r.ios).toBe(3000);
    expect(env.maps).toHaveLength(1);
    expect(env.maps[0]).toMatchObject({ kind: 'single', length: 65536, dir: 'bidirectional' });
    const base = env.maps[0]!.dmaAddr;
    const offsets = env.accesses.map((a) => a.dmaAddr - base);
    expect(env.accesses.every((a) => a.length === 128 && !a.write && a.mapped)).toBe(true);
    expect(offsets.every((o) => o >= 0 && o + 128 <= 65536 && o % 128 === 0)).toBe(true);
    // Random: the offsets spread over the window's 512 slots.
    expect(new Set(offsets).size).toBeGreaterThan(400);
    expect(env.irqs).toEqual([]);
    expect(r.cpuNsPerIo).toBe(0);
    expect([...env.live.values()]).toEqual([]); // unmapped at stop()
    expect(env.runtime.pagesHeld).toBe(0);
  });

  it('sequential writes walk the window in order and are posted (no read round trip)', () => {
    const { env, r } = run('pt', { rw: 'write', pattern: 'seq', size: 64, window: '4k', credits: 1, postedNs: 0 }, 100);
    const base = env.maps[0]!.dmaAddr;
    expect(env.accesses.slice(0, 66).map((a) => a.dmaAddr - base)).toEqual(
      Array.from({ length: 66 }, (_, i) => (i % 64) * 64),
    );
    expect(env.accesses.every((a) => a.write)).toBe(true);
    expect(r.latencyMeanNs).toBeLessThan(50); // link and data only
  });

  it('writes are bound by posted credits over the commit time, not by tags over a round trip', () => {
    const w = run('pt', { rw: 'write', tags: 1 }, 4000).r;
    // 32 credits, each held 675 ns (+ link and data): ~47 M writes/s (pcie-bench, Broadwell: 47.4 M).
    expect(w.iops).toBeGreaterThan(45e6);
    expect(w.iops).toBeLessThan(47.5e6);
    const fewer = run('pt', { rw: 'write', credits: 8 }, 4000).r;
    expect(w.iops / fewer.iops).toBeGreaterThan(3.9);
    expect(w.iops / fewer.iops).toBeLessThan(4.1);
  });

  it('reads are bound by tags over the round trip (Little): 32 tags x 64 B per ~612 ns', () => {
    const one = run('pt', { tags: 1 }).r;
    const many = run('pt', { tags: 32 }).r;
    // One read in flight: the round trip, the payload on the link and its share of the DMA path.
    expect(one.latencyMeanNs).toBeGreaterThan(600 + linkBytes(64) / 7.88);
    expect(one.latencyMeanNs).toBeLessThan(615);
    expect(many.iops / one.iops).toBeGreaterThan(31);
    expect(many.iops / one.iops).toBeLessThanOrEqual(32.001);
    expect(many.gbps).toBeGreaterThan(26);
    expect(many.gbps).toBeLessThan(28);
  });

  it('with IOMMU superpages an 8 MiB window stays within IOTLB reach: reads as fast as pass-through', () => {
    // The buffer is mapped with 2 MiB translations, so four IOTLB entries cover it (R30's nosp runs
    // lose 64 % here because sp_off leaves 2,048 4 KiB translations: see the calibration rows).
    const lazy = run('lazy', { window: '8m' }, 4000).r;
    const pt = run('pt', { window: '8m' }, 4000).r;
    expect(lazy.iotlbHitRate).toBeGreaterThan(0.99);
    expect(lazy.iops / pt.iops).toBeGreaterThan(0.97);
  });

  it('rejects bad options with typed errors', () => {
    expect(code({ size: 6 })).toMatch(/^OPTION_INVALID option size=6: not a multiple of 4/);
    expect(code({ size: '8k' })).toMatch(/^OPTION_INVALID option size=8k/);
    expect(code({ window: 6000 })).toMatch(/^OPTION_INVALID option window=6000: not a multiple of 4096/);
    expect(code({ window: '2g' })).toMatch(/^OPTION_INVALID option window=2g/);
    expect(code({ tags: PCIEBENCH_MAX_TAGS + 1 })).toMatch(/^OPTION_INVALID option tags=257/);
    expect(code({ tags: 1.5 })).toMatch(/^OPTION_INVALID option tags=1.5: not an integer/);
    expect(code({ rw: 'readwrite' })).toMatch(/^OPTION_INVALID option rw=readwrite: expected one of read, write/);
    expect(code({ window: '4k', size: '4k', tags: 256, rw: 'write', pattern: 'seq' })).toBe('accepted');
  });
});
