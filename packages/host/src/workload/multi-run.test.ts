// SPDX-License-Identifier: Apache-2.0
// `host run --devices`: several devices of a host at once, each on CPUs of its own NUMA node, in
// one simulated-time order — devices behind one SMMUv3 share its command queue and engine, so
// their strict unmaps contend; devices on two SMMUs do not.
import { join } from 'node:path';
import { pluginRegistry } from '@iofleet/plugin-registry';
import { describe, expect, it } from 'vitest';
import { loadHostDescription } from '../boot/load';
import { HostError } from '../errors';
import { type HostRunOptions, parseWorkloadSpec, runHostWorkload } from './host-run';

const FILE = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts', 'arm-grace-2s.yaml');
const desc = loadHostDescription(FILE);
/** A lean polled path (R02's t/io_uring driver cost) so the SMMU, not the CPU, limits strict. */
const WORKLOAD = parseWorkloadSpec('nvme:qd=128,poll=1,driverNs=165');
const SOCKET0 = ['0000:03:00.0', '0000:04:00.0', '0000:05:00.0', '0000:06:00.0'];
const run = (mode: 'pt' | 'strict', extra: Partial<HostRunOptions>) =>
  runHostWorkload(desc, {
    file: FILE,
    workload: WORKLOAD,
    modes: [mode],
    plugins: pluginRegistry(),
    durationMs: 2,
    ...extra,
  })[0]!;

describe('host run --devices', () => {
  it('runs every device of the plugin at once, one row per device, their throughput summed', () => {
    const r = run('pt', { devices: 'all' });
    expect(r.perDevice).toHaveLength(8);
    expect(r.perDevice!.map((d) => d.device)).toContain('0001:06:00.0');
    expect(r.iops).toBeCloseTo(
      r.perDevice!.reduce((a, d) => a + d.iops, 0),
      3,
    );
    expect(r.perDevice!.every((d) => d.ios > 0 && !d.pluginFault)).toBe(true);
  });

  it("pass-through scales with the devices: eight SSDs do eight times one SSD's I/O", () => {
    // Each device's CPU keeps its own time: a CPU behind the clock is not pushed up to the end of
    // another CPU's hook (SimCpuSet.beginCall), which held eight SSDs to ~5.6 x one.
    const one = run('pt', { devices: [SOCKET0[0]!] });
    const four = run('pt', { devices: SOCKET0 });
    const eight = run('pt', { devices: 'all' });
    expect(four.iops / one.iops).toBeGreaterThan(3.9);
    expect(eight.iops / one.iops).toBeGreaterThan(7.8);
  });

  it('strict: four SSDs behind one SMMU contend for its command queue; spread over two SMMUs they contend less', () => {
    const one = run('strict', { devices: [SOCKET0[0]!] });
    const sameSmmu = run('strict', { devices: SOCKET0 });
    const twoSmmus = run('strict', { devices: ['0000:03:00.0', '0000:04:00.0', '0001:03:00.0', '0001:04:00.0'] });
    expect(sameSmmu.iops / one.iops).toBeLessThan(3.5);
    expect(twoSmmus.iops).toBeGreaterThan(1.1 * sameSmmu.iops);
  });

  it('refuses guest modes, a device named twice, and --device with --devices, saying why', () => {
    const all = { file: FILE, workload: WORKLOAD, plugins: pluginRegistry(), durationMs: 1 };
    expect(() => runHostWorkload(desc, { ...all, modes: ['vfio'], devices: 'all' })).toThrow(/host modes only/);
    expect(() => runHostWorkload(desc, { ...all, modes: ['pt'], devices: [SOCKET0[0]!, SOCKET0[0]!] })).toThrow(
      /names 0000:03:00.0 twice/,
    );
    expect(() => runHostWorkload(desc, { ...all, modes: ['pt'], devices: 'all', device: SOCKET0[0]! })).toThrow(
      HostError,
    );
  });
});
