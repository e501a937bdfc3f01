// SPDX-License-Identifier: Apache-2.0
// The built-in plugin passes the SDK's conformance suite through its package name, as a third
// party's plugin would.
import { nvmePlugin } from '@iofleet/plugin-nvme';
import { runDevicePluginConformance, TestEnvironment } from '@iofleet/sdk-testing';
import { describe, expect, it } from 'vitest';

runDevicePluginConformance(nvmePlugin, { badOptions: [{ bs: '3z' }, { bs: 1000 }, { jobs: 1.5 }] });
runDevicePluginConformance(nvmePlugin, { options: { bs: '64k', rw: 'read', qd: 8 } });
runDevicePluginConformance(nvmePlugin, { options: { buffers: 'premapped', qd: 16 } });
runDevicePluginConformance(nvmePlugin, { options: { buffers: 'user', bs: '16k', qd: 8 } });

describe('nvme', () => {
  it('maps one buffer per I/O and reads a PRP list above two pages', () => {
    const env = new TestEnvironment(nvmePlugin, { mode: 'strict', options: { bs: '16k', qd: 4 } });
    env.probe();
    const r = env.run({ maxIos: 50 });
    const streaming = env.maps.filter((m) => m.kind === 'single');
    expect(streaming).toHaveLength(50);
    expect(streaming.every((m) => m.length === 16384)).toBe(true);
    expect(env.accesses.length).toBe(4 * r.ios); // command, PRP list, data, completion
    env.remove();
  });

  it('user buffers: scattered pages mapped as a scatterlist above one page, a single mapping at one page', () => {
    const env = new TestEnvironment(nvmePlugin, { mode: 'strict', options: { bs: '16k', qd: 4, buffers: 'user' } });
    env.probe();
    const r = env.run({ maxIos: 40 });
    const sg = env.maps.filter((m) => m.kind === 'sg');
    expect(sg).toHaveLength(40);
    expect(env.maps.filter((m) => m.kind === 'single')).toHaveLength(0);
    expect(r.ios).toBe(40);
    env.remove();
    expect([...env.live.values()]).toEqual([]);
    const small = new TestEnvironment(nvmePlugin, { mode: 'strict', options: { bs: '4k', qd: 4, buffers: 'user' } });
    small.probe();
    small.run({ maxIos: 10 });
    expect(small.maps.filter((m) => m.kind === 'single')).toHaveLength(10);
    small.remove();
    // A user buffer is pinned for each I/O: 100 ns per page over a kernel buffer mapped the same way.
    const cpu = (buffers: string) => {
      const e = new TestEnvironment(nvmePlugin, { mode: 'pt', options: { bs: '4k', qd: 4, buffers } });
      e.probe();
      const r = e.run({ maxIos: 200 }).cpuNsPerIo;
      e.remove();
      return r;
    };
    expect(cpu('user') - cpu('map')).toBeCloseTo(100, 0);
  });

  it('transfers share the link: throughput stays at or below linkGBps', () => {
    const env = new TestEnvironment(nvmePlugin, {
      mode: 'pt',
      options: { bs: '128k', qd: 32, rw: 'read', linkGBps: '1' },
    });
    env.probe();
    const r = env.run({ maxIos: 400 });
    expect(r.gbps).toBeLessThanOrEqual(8 * 1.001);
    expect(r.gbps).toBeGreaterThan(8 * 0.9);
    env.remove();
  });

  it('polled queues raise no interrupt, and driverNs sets the CPU cost outside the DMA API', () => {
    const run = (options: Record<string, string>) => {
      const env = new TestEnvironment(nvmePlugin, { mode: 'pt', options });
      env.probe();
      const r = env.run({ maxIos: 200 });
      return { cpu: r.cpuNsPerIo, irqs: env.irqs.length, ios: r.ios };
    };
    const irq = run({});
    const polled = run({ poll: '1', driverNs: '165' });
    expect(irq.irqs).toBe(irq.ios);
    expect(polled.irqs).toBe(0);
    expect(irq.cpu - polled.cpu).toBeCloseTo(1600 - 165, 0);
    expect(() => nvmePlugin.parseOptions({ poll: 'yes' })).toThrow(/poll/);
    expect(() => nvmePlugin.parseOptions({ driverNs: '-1' })).toThrow(/driverNs/);
  });

  it('strict mode costs more CPU per I/O than lazy, and lazy at least pass-through', () => {
    const cpu = (mode: 'pt' | 'lazy' | 'strict') => {
      const env = new TestEnvironment(nvmePlugin, { mode });
      env.probe();
      return env.run({ maxIos: 1000 }).cpuNsPerIo;
    };
    const [pt, lazy, strict] = [cpu('pt'), cpu('lazy'), cpu('strict')];
    expect(strict).toBeGreaterThan(lazy);
    expect(lazy).toBeGreaterThanOrEqual(pt);
  });
  it('media latency spreads within ±mediaJitter of its mean, repeatably; mediaJitter=0 keeps it constant', () => {
    // QD1, poll, pass-through: an I/O's latency is its media time plus fixed costs, nothing queues.
    const run = (options: Record<string, string>) => {
      const env = new TestEnvironment(nvmePlugin, { mode: 'pt', options: { qd: '1', poll: '1', ...options } });
      env.probe();
      const r = env.run({ maxIos: 2_000 });
      env.remove();
      return r;
    };
    const flat = run({ mediaJitter: '0' });
    expect(flat.latencyQuantilesNs[0]).toBeCloseTo(flat.latencyP99Ns, 3);
    const fixed = flat.latencyMeanNs - 70_000; // everything but the media time
    const spread = run({});
    const lo = spread.latencyQuantilesNs[0]! - fixed; // the 5th percentile's media time
    const hi = spread.latencyP99Ns - fixed;
    expect(lo).toBeGreaterThanOrEqual(70_000 * 0.9 - 1);
    expect(lo).toBeLessThan(70_000 * 0.915); // uniform over ±10 %: the 5th percentile is at -9 %
    expect(hi).toBeLessThanOrEqual(70_000 * 1.1 + 1);
    expect(hi).toBeGreaterThan(70_000 * 1.095);
    expect(Math.abs(spread.latencyMeanNs - flat.latencyMeanNs)).toBeLessThan(70_000 * 0.01);
    // The same seed gives the same run; another seed another one.
    expect(run({}).latencyMeanNs).toBe(spread.latencyMeanNs);
    expect(run({ seed: '2' }).latencyMeanNs).not.toBe(spread.latencyMeanNs);
    expect(() => nvmePlugin.parseOptions({ mediaJitter: '1' })).toThrow(/mediaJitter/);
  });

  it('reads leave the link in the order they come off the media, not the order they were issued', () => {
    // A half-busy link (585 ns a transfer, ~0.9 M IOPS at QD64) and a wide spread: in issue order a
    // read that left the media early would wait for every slower one issued before it.
    const meanLatency = (mediaJitter: string) => {
      const env = new TestEnvironment(nvmePlugin, {
        mode: 'pt',
        options: { qd: '64', poll: '1', driverNs: '165', mediaJitter },
      });
      env.probe();
      const r = env.run({ maxIos: 5_000 });
      env.remove();
      return r.latencyMeanNs;
    };
    // The mean media time is the same; waiting on the link adds little at half load.
    expect(meanLatency('0.5')).toBeLessThan(meanLatency('0') + 1_000);
  });
});

describe('nvme batches (fio iodepth_batch_submit / iodepth_batch_complete_min)', () => {
  const run = (options: Record<string, string>) => {
    const env = new TestEnvironment(nvmePlugin, {
      mode: 'pt',
      options: { poll: '1', driverNs: '165', mediaJitter: '0.5', ...options },
    });
    env.probe();
    const r = env.run({ maxIos: 4_000 });
    env.remove();
    return r;
  };

  it('a reap that waits for the whole queue drains it: each round lasts as long as its slowest read', () => {
    // QD8, media time uniform over 70 µs ± 50 %. Reaping one at a time keeps 8 reads in flight:
    // ~8 / 70 µs. Waiting for all 8 refills nothing until the slowest of them is back, whose
    // expected media time is 0.5 + 8/9 = 1.39 times the mean: ~0.72 of the rate.
    const one = run({ qd: '8' });
    const all = run({ qd: '8', batchComplete: '8' });
    expect(one.iops).toBeGreaterThan((8 / 70_000e-9) * 0.95);
    expect(all.iops / one.iops).toBeGreaterThan(0.66);
    expect(all.iops / one.iops).toBeLessThan(0.78);
    // fio's clat: a read is timed when the reap returns it, so a round's reads take the slowest's time.
    expect(all.latencyMeanNs).toBeGreaterThan(one.latencyMeanNs * 1.25);
  });

  it('a submit batch reaches the drive together, so its reads come back together and queue for the CPU', () => {
    // QD8, a reap waits for all 8, constant media time, a link too fast to matter. Submitted one at
    // a time, reads reach the drive and come back one submission (~0.9 µs) apart, and each is
    // completed (~0.7 µs) before the next is back. In one batch of 8 they reach the drive at once and
    // come back at once, and the last waits for the seven completions before it: each round lasts
    // 7 completions longer.
    const round = (options: Record<string, string>) => {
      const r = run({ qd: '8', batchComplete: '8', mediaJitter: '0', linkGBps: '1000', driverNs: '1600', ...options });
      return { ns: 8e9 / r.iops, cpu: r.cpuNsPerIo };
    };
    const single = round({});
    const batched = round({ batchSubmit: '8' });
    const completeNs = [700, single.cpu - 900]; // the driver's 7/16 of driverNs, plus the unmap at most
    expect(batched.ns - single.ns).toBeGreaterThanOrEqual(7 * completeNs[0]!);
    expect(batched.ns - single.ns).toBeLessThanOrEqual(7 * completeNs[1]!);
    expect(() => nvmePlugin.parseOptions({ batchSubmit: '0' })).toThrow(/batchSubmit/);
    expect(() => nvmePlugin.parseOptions({ batchComplete: '2.5' })).toThrow(/batchComplete/);
  });
});
