// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { iofleet } from '../testing/run-iofleet';

const HOSTS = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts');
const dir = mkdtempSync(join(tmpdir(), 'iofleet-host-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => iofleet(['host', ...args], { timeout: 120_000 });

interface Row {
  mode: string;
  iops: number;
  cpuNsPerIo: number;
  latencyP50Ns: number;
  domainType: string;
  pluginFault?: string;
  gbps: number;
  iotlbHitRate: number;
}

/** `host run <examples/hosts/host> --workload w --modes m [more] --json`: its rows, one per mode. */
async function runRows(host: string, workload: string, modes: string, ...more: string[]): Promise<Row[]> {
  const { stdout } = await cli('run', join(HOSTS, host), '--workload', workload, '--modes', modes, ...more, '--json');
  return JSON.parse(stdout).results;
}

describe('iofleet host run', () => {
  it.each(['intel-xeon-2s.yaml', 'amd-epyc-1s.yaml', 'intel-laptop-rmrr.yaml', 'intel-dell-t7500-real.yaml'])(
    '%s --workload nvme: strict IOPS below lazy, lazy at or below pass-through',
    async (host) => {
      const rows = await runRows(host, 'nvme', 'pt,lazy,strict');
      const [pt, lazy, strict] = rows;
      expect(rows.map((r) => [r.mode, r.domainType])).toEqual([
        ['pt', 'identity'],
        ['lazy', 'DMA-FQ'],
        ['strict', 'DMA'],
      ]);
      expect(strict!.iops).toBeLessThan(lazy!.iops);
      expect(lazy!.iops).toBeLessThanOrEqual(pt!.iops);
      expect(strict!.cpuNsPerIo).toBeGreaterThan(lazy!.cpuNsPerIo);
      for (const r of rows) {
        expect(r.pluginFault).toBeUndefined();
        expect(r.latencyP50Ns).toBeGreaterThan(0);
      }
    },
  );

  it('compares a device assigned to a VM through VFIO with an emulated one', async () => {
    const [pt, vfio, emulated] = await runRows('amd-epyc-1s.yaml', 'nvme', 'pt,vfio,emulated');
    expect([vfio!.domainType, emulated!.domainType]).toEqual(['unmanaged', 'emulated']);
    // Assigned: no per-I/O hypervisor work, so CPU per I/O is the bare-metal driver's.
    expect(vfio!.cpuNsPerIo).toBeCloseTo(pt!.cpuNsPerIo, -1);
    expect(emulated!.cpuNsPerIo).toBeGreaterThan(3 * vfio!.cpuNsPerIo);
    expect(emulated!.iops).toBeLessThan(vfio!.iops);
  });

  it('a guest with a virtio-iommu traps every map; bounce buffers mapped once trap none; no posted interrupts cost an exit', async () => {
    const [pt, vfio, viommu, bounce, lazy] = await runRows(
      'intel-laptop-rmrr.yaml',
      'nvme:bs=16k,buffers=user,qd=16',
      'pt,vfio,viommu,viommu-bounce,viommu-lazy',
      '--duration',
      '5',
    );
    expect([vfio, viommu, bounce, lazy].map((r) => r!.domainType)).toEqual([
      'unmanaged',
      'unmanaged',
      'unmanaged',
      'unmanaged',
    ]);
    for (const r of [vfio, viommu, bounce, lazy]) expect(r!.pluginFault).toBeUndefined();
    // A lazy guest still waits for each MAP, but its UNMAPs go one sync per flush-queue flush:
    // one round trip of five fewer per I/O (3 µs of ~15 µs), and the host work still per request.
    expect(lazy!.cpuNsPerIo).toBeLessThan(viommu!.cpuNsPerIo - 2000);
    expect(lazy!.cpuNsPerIo).toBeGreaterThan(bounce!.cpuNsPerIo);
    expect(lazy!.iops).toBeGreaterThan(viommu!.iops);
    // The laptop has no posted interrupts: one VM exit (1.5 µs) per completion interrupt.
    expect(vfio!.cpuNsPerIo - pt!.cpuNsPerIo).toBeCloseTo(1500, -1);
    // Four segments, four MAP requests and one UNMAP per I/O, against a copy per I/O.
    expect(viommu!.cpuNsPerIo).toBeGreaterThan(4 * bounce!.cpuNsPerIo);
    expect(bounce!.cpuNsPerIo).toBeGreaterThan(vfio!.cpuNsPerIo);
    expect(viommu!.iops).toBeLessThan(bounce!.iops / 2);
  });

  it('nosp (intel_iommu=sp_off) maps in 4 KiB pages: a 64 MiB window is beyond IOTLB reach, as pcie-bench measured', async () => {
    const [off, lazy, nosp] = await runRows(
      'intel-broadwell-nfp.yaml',
      'pciebench:window=64m',
      'off,lazy,nosp',
      '--duration',
      '2',
    );
    expect([lazy!.domainType, nosp!.domainType]).toEqual(['DMA-FQ', 'DMA-FQ']);
    // 2 MiB leaves: 32 translations, all in the 64-entry IOTLB; 4 KiB leaves: 16,384 of them.
    expect(lazy!.iotlbHitRate).toBeGreaterThan(0.99);
    expect(nosp!.iotlbHitRate).toBeLessThan(0.01);
    expect(lazy!.gbps / off!.gbps).toBeGreaterThan(0.97);
    expect(nosp!.gbps / off!.gbps).toBeLessThan(0.5);
  });

  it('an untrusted (external) device is strict whatever the mode asks', async () => {
    const rows = await runRows('intel-laptop-rmrr.yaml', 'nvme', 'pt,lazy', '--device', '20:00.0');
    expect(rows.map((r) => r.domainType)).toEqual(['DMA', 'DMA']);
  });

  it('contains a plugin that throws and one that hangs: faulted rows, exit 0, no crash', async () => {
    const mod = join(dir, 'broken-plugins.cjs');
    writeFileSync(
      mod,
      `const base = { kind: 'iofleet.device-plugin', version: '1.0.0', sdk: '^0.2.0', parseOptions: () => ({}) };
module.exports = {
  throws: { ...base, name: 'throws', create: () => ({ workload: { queueDepth: 1, submit() { throw new Error('boom'); }, device() {}, complete() {} } }) },
  hangs: { ...base, name: 'hangs', create: () => ({ probe() { for (;;) {} } }) },
};`,
    );
    const host = join(HOSTS, 'intel-xeon-2s.yaml');
    const a = await cli(
      'run',
      host,
      '--plugin',
      mod,
      '--workload',
      'throws',
      '--device',
      '01:00.0',
      '--modes',
      'strict',
      '--json',
    );
    expect(JSON.parse(a.stdout).results[0].pluginFault).toMatch(/submit\(\) threw boom; device faulted/);
    const b = await cli(
      'run',
      host,
      '--plugin',
      mod,
      '--workload',
      'hangs',
      '--device',
      '01:00.0',
      '--modes',
      'lazy',
      '--json',
    );
    expect(JSON.parse(b.stdout).results[0].pluginFault).toMatch(/probe\(\): did not return within/);
  });

  it('gives one error: line for an unknown plugin option and for a host without the plugin, a warning for a device of another plugin', async () => {
    const e1 = await cli('run', join(HOSTS, 'intel-xeon-2s.yaml'), '--workload', 'nvme:qq=1').catch((e) => e);
    expect(e1.code).toBe(1);
    expect(e1.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: .*unknown option qq/)]);
    const e2 = await cli('run', join(HOSTS, 'amd-threadripper-real.yaml'), '--workload', 'nvme').catch((e) => e);
    expect(e2.stderr).toMatch(/^error: .*no PCI function uses plugin nvme/);
    // A device described for another plugin: the run goes ahead, with a warning.
    const w = await cli(
      'run',
      join(HOSTS, 'gpu-node.yaml'),
      '--workload',
      'nvme',
      '--device',
      '04:00.0',
      '--duration',
      '1',
    );
    expect(w.stderr).toMatch(
      /^warning: .*0000:04:00\.0 \(class nic\) is described as driven by plugin nic; running nvme on it$/m,
    );
  });
});

describe('iofleet host describe', () => {
  it('prints units, groups with default domain types and the boot log as JSON; --cmdline changes the domains', async () => {
    const file = join(HOSTS, 'amd-epyc-1s.yaml');
    const d = JSON.parse((await cli('describe', file, '--json')).stdout);
    expect(d.units).toHaveLength(1);
    expect(d.groups.length).toBeGreaterThan(5);
    expect(new Set(d.groups.map((g: { type: string }) => g.type))).toEqual(new Set(['DMA-FQ']));
    expect(d.bootLog).toContain('iommu: Default domain type: Translated');
    const pt = JSON.parse((await cli('describe', file, '--cmdline', 'iommu=pt', '--json')).stdout);
    expect(new Set(pt.groups.map((g: { type: string }) => g.type))).toEqual(new Set(['identity']));
  });

  it('reports a schema error with file, line and path', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\ncpu: { vendor: via, coresPerSocket: 4 }\nnumaNodes: [{ id: 0, memoryGiB: 8 }]\n');
    const e = await cli('describe', bad).catch((x) => x);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/^error: .*bad\.yaml:2.*cpu\.vendor/);
  });
});
