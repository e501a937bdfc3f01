// SPDX-License-Identifier: Apache-2.0
// The NVMe plugin behind an Arm SMMUv3 in the SDK's test environment (vendor: 'arm'): its DMA is
// translated by the SMMU under Linux's arm-smmu-v3 strict and lazy invalidation.
import { nvmePlugin } from '@iofleet/plugin-nvme';
import { TestEnvironment } from '@iofleet/sdk-testing';
import { describe, expect, it } from 'vitest';

const run = (mode: 'pt' | 'lazy' | 'strict') => {
  const env = new TestEnvironment(nvmePlugin, { mode, vendor: 'arm', options: { qd: 8 } });
  env.probe();
  const r = env.run({ maxIos: 200 });
  env.remove();
  return { r, env };
};

describe('nvme behind an Arm SMMUv3', () => {
  it('runs without faults in every mode; strict costs more CPU per I/O than lazy, lazy more than pass-through', () => {
    const [pt, lazy, strict] = (['pt', 'lazy', 'strict'] as const).map(run);
    for (const x of [pt, lazy, strict]) {
      expect(x!.r.ios).toBe(200);
      expect(x!.env.faults).toEqual([]);
      expect(x!.env.accesses.every((a) => a.ok)).toBe(true);
    }
    expect(strict!.r.cpuNsPerIo).toBeGreaterThan(lazy!.r.cpuNsPerIo);
    expect(lazy!.r.cpuNsPerIo).toBeGreaterThan(pt!.r.cpuNsPerIo);
  });
});
