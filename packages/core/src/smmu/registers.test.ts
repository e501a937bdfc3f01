// SPDX-License-Identifier: Apache-2.0
// ID registers from parameters, and Linux's reading of them (arm_smmu_device_hw_probe(),
// arm_smmu_init_queues()); feature bits are Linux's ARM_SMMU_FEAT_* values.

import { describe, expect, it } from 'vitest';
import { ARM_SMMU_FEAT, DEFAULT_SMMUV3_PARAMS, idrRegisters, linuxBootLines, linuxProbe } from './registers';

describe('SMMUv3 ID registers and the Linux probe', () => {
  it('reports the default parameters in IDR0/1/3/5 at the spec positions', () => {
    const r = idrRegisters(DEFAULT_SMMUV3_PARAMS);
    // S2P S1P TTF=2 COHACC HYP ATS ASID16 MSI SEV PRI VMID16 CD2L TTENDIAN=2 STALL_MODEL=1 ST_LEVEL=1
    const idr0 = 1 | 2 | (2 << 2) | (1 << 4) | (1 << 9) | (1 << 10) | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 16);
    expect(r.idr0).toBe(BigInt(idr0 | (1 << 18) | (1 << 19) | (2 << 21) | (1 << 24) | (1 << 27)));
    expect(r.idr1).toBe(BigInt(16 | (20 << 6) | (8 << 11) | (7 << 16) | (8 << 21)));
    expect(r.idr3).toBe(1n << 10n); // RIL
    expect(r.idr5).toBe(BigInt(5 | (7 << 4))); // OAS 48-bit, all granules
  });

  it('probes the features, sizes and queues Linux derives, and prints its lines', () => {
    const p = linuxProbe(idrRegisters(DEFAULT_SMMUV3_PARAMS));
    const F = ARM_SMMU_FEAT;
    const want =
      F.TWO_LVL_STRTAB |
      F.TWO_LVL_CDTAB |
      F.TT_LE |
      F.PRI |
      F.ATS |
      F.SEV |
      F.MSI |
      F.COHERENCY |
      F.TRANS_S1 |
      F.TRANS_S2;
    expect(p.features).toBe(want | F.HYP | F.RANGE_INV | F.E2H | F.NESTING);
    expect([p.ias, p.oas, p.asidBits, p.vmidBits, p.msiPoll]).toEqual([48, 48, 16, 16, true]);
    expect(p.pageSizesLg2).toEqual([12, 14, 16, 21, 25, 29, 30]);
    expect(linuxBootLines('arm-smmu-v3.0.auto', p)).toEqual([
      'arm-smmu-v3 arm-smmu-v3.0.auto: option mask 0x0',
      'arm-smmu-v3 arm-smmu-v3.0.auto: ias 48-bit, oas 48-bit (features 0x000c97f7)',
      'arm-smmu-v3 arm-smmu-v3.0.auto: allocated 256 entries for cmdq',
      'arm-smmu-v3 arm-smmu-v3.0.auto: allocated 128 entries for evtq',
      'arm-smmu-v3 arm-smmu-v3.0.auto: allocated 256 entries for priq',
    ]);
  });

  it('follows the kernel: no E2H without VHE, no MSI polling without coherency, queues capped by CMA alignment', () => {
    const params = { ...DEFAULT_SMMUV3_PARAMS, cmdqLog2: 19, evtqLog2: 19, rangeInvalidation: false, asid16: false };
    const p = linuxProbe(idrRegisters(params), { vhe: false, firmwareCoherent: false, qMaxSzShift: 20 });
    expect(p.features & ARM_SMMU_FEAT.E2H).toBe(0);
    expect(p.features & ARM_SMMU_FEAT.HYP).toBe(ARM_SMMU_FEAT.HYP);
    expect(p.features & (ARM_SMMU_FEAT.RANGE_INV | ARM_SMMU_FEAT.COHERENCY)).toBe(0);
    expect([p.msiPoll, p.asidBits, p.cmdqLog2, p.evtqLog2]).toEqual([false, 8, 16, 15]); // 65536 and 32768 entries
    const big = linuxProbe(idrRegisters({ ...DEFAULT_SMMUV3_PARAMS, outputBits: 52, granules: ['64K'] }));
    expect([big.oas, big.pageSizesLg2]).toEqual([52, [16, 29]]);
  });
});
