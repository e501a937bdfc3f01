// SPDX-License-Identifier: Apache-2.0
// The SMMUv3 under Linux's DMA layer, priced by the Grace profile: the simulated dma_map_benchmark
// maps through a real SmmuV3Unit domain (bench/map-benchmark.ts picks it for profiles of unit
// 'smmu'), so strict unmaps pay a TLBI + CMD_SYNC each, lazy ones a share of the flush queue's
// TLBI_EL2_ASID, and concurrent strict unmaps queue for the one SMMU.

import { describe, expect, it } from 'vitest';
import { DEFAULT_MAP_BENCH_PARAMS, runMapBenchMode } from '../bench/map-benchmark';
import { type CostProfile, getCostProfile } from '../cost/cost-profile';
import { DMA_FROM_DEVICE } from '../dma/dma-types';

const profile = getCostProfile('arm-neoverse-grace');
const withParam = (p: CostProfile, key: 'invTlbiSync', value: number): CostProfile => ({
  ...p,
  params: { ...p.params, [key]: { ...p.params[key], value } },
});
const bench = (mode: 'pt' | 'lazy' | 'strict', threads: number, p: CostProfile = profile) =>
  runMapBenchMode(
    mode,
    { ...DEFAULT_MAP_BENCH_PARAMS, threads, seconds: 0.05, maxIterations: 3000, dir: DMA_FROM_DEVICE, profile: p },
    p,
  );

describe('dma_map_benchmark on the Grace profile', () => {
  it('orders unmap latency pt < lazy < strict, and strict grows when eight threads share the SMMU', () => {
    const [pt, lazy, strict, strict8] = [bench('pt', 1), bench('lazy', 1), bench('strict', 1), bench('strict', 8)];
    expect(pt.unmapLatencyNs).toBeLessThan(lazy.unmapLatencyNs);
    expect(lazy.unmapLatencyNs).toBeLessThan(strict.unmapLatencyNs);
    // A strict unmap holds the SMMU for two commands (TLBI + CMD_SYNC) at invProcess each, and the
    // CMD_SYNC for the TLBI's completion at the TBUs (invTlbiSync).
    const smmuNs = 2 * profile.params.invProcess.value + profile.params.invTlbiSync.value;
    expect(strict.unmapLatencyNs - lazy.unmapLatencyNs).toBeGreaterThan(smmuNs);
    expect(strict8.unmapLatencyNs).toBeGreaterThan(4 * smmuNs);
  });

  it("prices one strict unmap at U12's 1,111 ns (Altra iommu_dma_unmap_sg), the TLBI's completion included", () => {
    // Only with invTlbiSync: without it the same unmap is ≈ 620 ns (software, IOVA, TLBI + CMD_SYNC at U05).
    const strict = bench('strict', 1);
    const unmapNs = strict.unmapLatencyNs - profile.params.ktimeGet.value;
    expect(unmapNs).toBeGreaterThan(1111 * 0.9);
    expect(unmapNs).toBeLessThan(1111 * 1.1);
    const without = bench('strict', 1, withParam(profile, 'invTlbiSync', 0));
    expect(strict.unmapLatencyNs - without.unmapLatencyNs).toBeGreaterThan(0.9 * profile.params.invTlbiSync.value);
  });
});
