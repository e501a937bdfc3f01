// SPDX-License-Identifier: Apache-2.0
// How Linux invalidates an SMMUv3 domain's TLB entries and its devices' ATCs
// (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c):
//  - arm_smmu_tlb_inv_range_domain() -> __arm_smmu_tlb_inv_range(): one TLBI per granule-sized
//    page of the range, or, with range invalidation (ARM_SMMU_FEAT_RANGE_INV), one TLBI per
//    5-bit chunk of the page count (NUM = count - 1, SCALE = its power of two, TG = the leaf
//    granule, TTL = the leaf's level for leaf invalidations); opcode TLBI_EL2_VA with a VHE kernel
//    (ARM_SMMU_FEAT_E2H), TLBI_NH_VA otherwise, TLBI_S2_IPA for stage-2 domains; all through one
//    arm_smmu_cmdq_batch: every 64 commands go to the queue without a sync, and one CMD_SYNC
//    follows the last (the cost of a strict unmap is that CMD_SYNC's round trip);
//  - arm_smmu_tlb_inv_context(): TLBI_EL2_ASID / TLBI_NH_ASID (stage 1) or TLBI_S12_VMALL (stage 2)
//    with a CMD_SYNC (flush_iotlb_all, the flush queue's flush);
//  - arm_smmu_atc_inv_domain(): for domains with ATS masters, an ATC_INV per StreamID covering the
//    range rounded to a power of two of 4 KiB pages (arm_smmu_atc_inv_to_cmd()), in its own batch.

import { CmdqBatch, type CommandQueue } from './command-queue';
import { ATC_INV_SIZE_ALL, atcInv, OP, type TlbiFields, tlbi } from './commands';

/** What these paths need to know about a domain. */
export interface InvDomain {
  readonly stage: 1 | 2;
  readonly asid: number;
  readonly vmid: number;
  /** StreamIDs of ATS-enabled masters attached to the domain. */
  readonly atsDevices: ReadonlySet<number>;
  /** log2 of the domain's smallest page (the io-pgtable granule). */
  readonly granuleLg2: number;
}

export interface InvSmmu {
  readonly cmdq: CommandQueue;
  readonly rangeInvalidation: boolean;
  /** ARM_SMMU_FEAT_E2H: stage-1 domains live in the EL2 regime. */
  readonly e2h: boolean;
  readonly ats: boolean;
}

/** __arm_smmu_tlb_inv_range(): the TLBIs covering [iova, iova + size), `pgsizeLg2` pages at a time. */
export function tlbInvRange(
  smmu: InvSmmu,
  d: InvDomain,
  iova: number,
  size: number,
  pgsizeLg2: number,
  leaf: boolean,
): void {
  if (size === 0) return;
  const op = d.stage === 1 ? (smmu.e2h ? OP.TLBI_EL2_VA : OP.TLBI_NH_VA) : OP.TLBI_S2_IPA;
  const f: TlbiFields = { asid: d.stage === 1 ? d.asid : 0, vmid: d.stage === 1 ? 0 : d.vmid, leaf, addr: 0 };
  const end = iova + size;
  const batch = new CmdqBatch(smmu.cmdq);
  let invRange = 2 ** pgsizeLg2;
  let tg = 0;
  let ttl = 0;
  let numPages = 0;
  const tgLg2 = d.granuleLg2; // __ffs(pgsize_bitmap): the leaf granule
  if (smmu.rangeInvalidation) {
    tg = (tgLg2 - 10) / 2; // 12, 14, 16 -> 1, 2, 3
    if (leaf) ttl = 4 - Math.floor((pgsizeLg2 - 3) / (tgLg2 - 3));
    numPages = Math.floor(size / 2 ** tgLg2);
  }
  f.tg = tg;
  f.ttl = ttl;
  for (let at = iova; at < end; ) {
    let num = 0;
    let scale = 0;
    if (smmu.rangeInvalidation) {
      scale = lowestSetBit(numPages);
      num = Math.floor(numPages / 2 ** scale) % 32; // CMDQ_TLBI_RANGE_NUM_MAX + 1
      invRange = num * 2 ** (scale + tgLg2);
      numPages -= num * 2 ** scale;
    }
    f.addr = at;
    f.num = smmu.rangeInvalidation ? num - 1 : 0;
    f.scale = scale;
    batch.add(tlbi(op, f));
    at += invRange;
  }
  batch.submit();
}

/** arm_smmu_tlb_inv_context(): the domain's whole ASID or VMID, then its ATCs. */
export function tlbInvContext(smmu: InvSmmu, d: InvDomain): void {
  if (d.stage === 1)
    smmu.cmdq.issueCmdlist([tlbi(smmu.e2h ? OP.TLBI_EL2_ASID : OP.TLBI_NH_ASID, { asid: d.asid })], true);
  else smmu.cmdq.issueCmdlist([tlbi(OP.TLBI_S12_VMALL, { vmid: d.vmid })], true);
  atcInvDomain(smmu, d, 0, 0);
}

/** arm_smmu_tlb_inv_range_domain(): TLBIs for the range, then the ATCs (not leaf-only: a table may be gone). */
export function tlbInvRangeDomain(...range: Parameters<typeof tlbInvRange>): void {
  tlbInvRange(...range);
  const [smmu, d, iova, size] = range;
  atcInvDomain(smmu, d, iova, size);
}

/** arm_smmu_atc_inv_domain(): nothing without ATS masters; size 0 means everything. */
export function atcInvDomain(smmu: InvSmmu, d: InvDomain, iova: number, size: number): void {
  if (!smmu.ats || d.atsDevices.size === 0) return;
  const batch = new CmdqBatch(smmu.cmdq);
  const { addr, sizeLg2 } = atcRange(iova, size);
  for (const sid of d.atsDevices) batch.add(atcInv(sid, 0, addr, sizeLg2));
  batch.submit();
}

/** arm_smmu_atc_inv_to_cmd(): the smallest power-of-two run of 4 KiB pages covering the range. */
export function atcRange(iova: number, size: number): { addr: number; sizeLg2: number } {
  if (size === 0) return { addr: 0, sizeLg2: ATC_INV_SIZE_ALL };
  const start = Math.floor(iova / 4096);
  const end = Math.floor((iova + size - 1) / 4096);
  // fls_long(start ^ end), without 32-bit bitwise operators: the lowest k with start >> k == end >> k.
  let log2Span = 0;
  while (Math.floor(start / 2 ** log2Span) !== Math.floor(end / 2 ** log2Span)) log2Span++;
  const first = Math.floor(start / 2 ** log2Span) * 2 ** log2Span;
  return { addr: first * 4096, sizeLg2: log2Span };
}

/** __ffs(): index of the lowest set bit (n > 0). */
function lowestSetBit(n: number): number {
  let k = 0;
  while (n % 2 ** (k + 1) === 0) k++;
  return k;
}
