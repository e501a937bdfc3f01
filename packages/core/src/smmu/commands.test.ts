// SPDX-License-Identifier: Apache-2.0
// Command encodings, checked word by word against the bit positions of IHI 0070 §4 as Linux's
// arm_smmu_cmdq_build_cmd() fills them (CMDQ_TLBI_*, CMDQ_CFGI_*, CMDQ_SYNC_*, CMDQ_ATC_*).

import { describe, expect, it } from 'vitest';
import { atcInv, cfgiAll, cfgiCd, cfgiSte, cmdSync, OP, OP_NAME, priResp, tlbi, tlbiRangeBytes } from './commands';
import { atcRange } from './linux-invalidate';

const words = (c: bigint) => [c & 0xffff_ffff_ffff_ffffn, c >> 64n];

describe('SMMUv3 commands', () => {
  it('encodes TLBI_NH_VA with range fields: ASID 63:48, NUM 16:12, SCALE 24:20; Leaf, TTL 9:8, TG 11:10, address', () => {
    const c = tlbi(OP.TLBI_NH_VA, { asid: 5, vmid: 0, addr: 0x1234_5000, leaf: true, num: 3, scale: 2, ttl: 3, tg: 1 });
    expect(words(c)).toEqual([0x0005_0000_0020_3012n, 0x1234_5000n | 0x701n]);
    expect(tlbiRangeBytes(c)).toBe(4 * 4 * 4096); // (NUM+1) x 2^SCALE x 4 KiB
    expect(tlbiRangeBytes(tlbi(OP.TLBI_NH_VA, { addr: 0x1000 }))).toBe(0); // TG = 0: one address
    expect(words(tlbi(OP.TLBI_S12_VMALL, { vmid: 7 }))).toEqual([0x0000_0007_0000_0028n, 0n]);
    expect(OP_NAME[OP.TLBI_EL2_VA]).toBe('CMD_TLBI_EL2_VA');
  });

  it('encodes CFGI and CMD_SYNC as Linux builds them', () => {
    expect(words(cfgiSte(0x100))).toEqual([0x0000_0100_0000_0003n, 1n]);
    expect(words(cfgiAll())).toEqual([0x04n, 0x1fn]);
    expect(words(cfgiCd(0x100, 3))).toEqual([0x0000_0100_0000_3005n, 1n]);
    // MSI polling: CS = IRQ, MSH = inner shareable, MSIAttr = 0xf, the command's own address.
    expect(words(cmdSync(0x8000_0010))).toEqual([0x0fc0_1046n, 0x8000_0010n]);
    expect(words(cmdSync(0))).toEqual([0x0fc0_2046n, 0n]); // CS = SEV
  });

  it('encodes ATC_INV and PRI_RESP, and rounds ATC ranges as arm_smmu_atc_inv_to_cmd() does', () => {
    expect(words(atcInv(0x100, 0, 0x8000, 2))).toEqual([0x0000_0100_0000_0040n, 0x8002n]);
    expect(words(atcInv(0x100, 4, 0, 52))).toEqual([0x0000_0100_0000_4840n, 52n]); // SSV with SSID 4
    expect(words(priResp(0x100, 0, false, 5, 0))).toEqual([0x0000_0100_0000_0041n, 5n]);
    expect(atcRange(8 * 4096, 4 * 4096)).toEqual({ addr: 8 * 4096, sizeLg2: 2 }); // pages [8, 11]
    expect(atcRange(7 * 4096, 4 * 4096)).toEqual({ addr: 0, sizeLg2: 4 }); // pages [7, 10] -> [0, 15]
    expect(atcRange(2 ** 40, 4096)).toEqual({ addr: 2 ** 40, sizeLg2: 0 });
    expect(atcRange(0, 0)).toEqual({ addr: 0, sizeLg2: 52 });
  });
});
