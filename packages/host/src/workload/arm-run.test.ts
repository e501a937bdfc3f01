// SPDX-License-Identifier: Apache-2.0
// `host run` on an Arm host: arm64's command lines per mode, Linux's arm-smmu-v3 invalidation
// (strict: a TLBI and a CMD_SYNC per unmap; lazy: the flush queue's one TLBI_ASID + CMD_SYNC per
// batch) and the mode order it gives a device-bound NVMe.
import { join } from 'node:path';
import { HW_INV_DESCRIPTORS, HW_INV_WAITS } from '@iofleet/core/hardware';
import { DMA_FROM_DEVICE } from '@iofleet/core/linux';
import { pluginRegistry } from '@iofleet/plugin-registry';
import { describe, expect, it } from 'vitest';
import { loadHost, loadHostDescription } from '../boot/load';
import { HostError } from '../errors';
import { parseWorkloadSpec, runHostWorkload } from './host-run';

const FILE = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts', 'arm-grace-2s.yaml');
const NVME = '0001:03:00.0';

/** Commands and CMD_SYNCs the device's SMMU executes for `n` single-page map+unmap pairs. */
function invalidations(cmdline: string, n: number): { cmds: number; syncs: number } {
  const h = loadHost(FILE, { cmdline });
  const dev = h.device(NVME);
  const c = h.units[dev.unit]!.unit.counters.c;
  const [cmds0, syncs0] = [c[HW_INV_DESCRIPTORS]!, c[HW_INV_WAITS]!];
  const pa = h.sim.pages.allocPages(1);
  for (let i = 0; i < n; i++) dev.ops.unmapPage(dev.ops.mapPage(pa, 4096, DMA_FROM_DEVICE), 4096, DMA_FROM_DEVICE);
  return { cmds: c[HW_INV_DESCRIPTORS]! - cmds0, syncs: c[HW_INV_WAITS]! - syncs0 };
}

describe('Linux arm-smmu-v3 pass-through, lazy and strict on an Arm host', () => {
  it('strict: each 4 KiB unmap is one range TLBI and one CMD_SYNC on the SMMU', () => {
    expect(invalidations('iommu.strict=1', 100)).toEqual({ cmds: 200, syncs: 100 });
  });

  it('lazy: unmaps wait in the flush queue; one TLBI_EL2_ASID + CMD_SYNC per 256 of them', () => {
    const lazy = invalidations('iommu.strict=0', 600);
    expect(lazy.syncs).toBeGreaterThanOrEqual(2);
    expect(lazy.syncs).toBeLessThanOrEqual(3);
    expect(lazy.cmds).toBe(2 * lazy.syncs);
  });

  it('pass-through: a bypass STE, no invalidation at all', () => {
    expect(invalidations('iommu.passthrough=1', 100)).toEqual({ cmds: 0, syncs: 0 });
  });

  it('strict unmaps of two devices on one SMMU queue for its engine; devices on different SMMUs do not', () => {
    const contended = (b1: string, b2: string) => {
      const h = loadHost(FILE, { cmdline: 'iommu.strict=1' });
      const pa = h.sim.pages.allocPages(1);
      for (let i = 0; i < 50; i++)
        for (const [cpu, b] of [
          [0, b1],
          [1, b2],
        ] as const) {
          h.sim.cpus.runOn(cpu);
          h.sim.cpus.beginCall();
          const ops = h.device(b).ops;
          ops.unmapPage(ops.mapPage(pa, 4096, DMA_FROM_DEVICE), 4096, DMA_FROM_DEVICE);
        }
      return h.units.map((u) => u.locks?.engine.contended ?? 0);
    };
    const [same0, same1] = contended('0000:03:00.0', '0000:04:00.0');
    expect(same0).toBeGreaterThan(0);
    expect(same1).toBe(0);
    expect(contended('0000:03:00.0', '0001:03:00.0')).toEqual([0, 0]);
  });

  it('host run: pt ≈ lazy > strict for one NVMe, with the domain types Linux gives each mode', () => {
    const rows = runHostWorkload(loadHostDescription(FILE), {
      workload: parseWorkloadSpec('nvme'),
      modes: ['pt', 'lazy', 'strict'],
      plugins: pluginRegistry(),
      device: NVME,
      durationMs: 5,
      file: FILE,
    });
    expect(rows.map((r) => r.domainType)).toEqual(['identity', 'DMA-FQ', 'DMA']);
    const [pt, lazy, strict] = rows.map((r) => r.iops) as [number, number, number];
    expect(lazy / pt).toBeGreaterThan(0.95);
    expect(strict).toBeLessThan(lazy);
    expect(rows.every((r) => r.faults === 0)).toBe(true);
  });

  it('modes with no arm64 command line are refused with the reason', () => {
    const run = () =>
      runHostWorkload(loadHostDescription(FILE), {
        workload: parseWorkloadSpec('nvme'),
        modes: ['off'],
        plugins: pluginRegistry(),
        durationMs: 1,
        file: FILE,
      });
    expect(run).toThrow(HostError);
    expect(run).toThrow(/mode off has no arm64 kernel command line/);
  });
});
