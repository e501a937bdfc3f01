// SPDX-License-Identifier: Apache-2.0
// VT-d fault reasons (spec rev 4.1 Appendix A; Linux dma_remap_fault_reasons[],
// dma_remap_sm_fault_reasons[], irq_remap_fault_reasons[] in drivers/iommu/intel/dmar.c; facts sheet §1.8) and the lines Linux prints for them
// (dmar_fault_do_one(); facts §1.9). Fault recording registers (§11.4.14): NFR+1 records of 128
// bits, filled round-robin from FRI; when the next record is still pending the unit sets PFO and
// drops the fault (primary fault overflow).

import { formatBdf } from '../addresses';

/** Legacy DMA-remapping fault reasons: the spec's numeric codes. */
export const VtdFault = {
  ROOT_NOT_PRESENT: 0x01,
  CONTEXT_NOT_PRESENT: 0x02,
  CONTEXT_INVALID: 0x03,
  BEYOND_MGAW: 0x04,
  WRITE: 0x05,
  READ: 0x06,
  PAGING_ENTRY_INVALID: 0x07,
  ROOT_TABLE_INVALID: 0x08,
  CONTEXT_TABLE_INVALID: 0x09,
  ROOT_RESERVED: 0x0a,
  CONTEXT_RESERVED: 0x0b,
  PAGING_ENTRY_RESERVED: 0x0c,
  TRANSLATION_BLOCKED: 0x0d,
} as const;

/** Linux's dma_remap_fault_reasons[] text, indexed by code. */
const DMA_REMAP_TEXT: readonly string[] = [
  'Software',
  'Present bit in root entry is clear',
  'Present bit in context entry is clear',
  'Invalid context entry',
  'Access beyond MGAW',
  'PTE Write access is not set',
  'PTE Read access is not set',
  'Next page table ptr is invalid',
  'Root table address invalid',
  'Context table ptr is invalid',
  'non-zero reserved fields in RTP',
  'non-zero reserved fields in CTP',
  'non-zero reserved fields in PTE',
  'PCE for translation request specifies blocking',
];

/**
 * Linux's dma_remap_sm_fault_reasons[] (drivers/iommu/intel/dmar.c): the scalable-mode reasons,
 * 0x30..0x90, by the spec's Appendix A code; codes of that span not listed read "Unknown".
 */
const SM_FIRST = 0x30;
const SM_LAST = 0x90;
const DMA_REMAP_SM_TEXT: Readonly<Record<number, string>> = {
  48: 'SM: Invalid Root Table Address',
  49: 'SM: TTM 0 for request with PASID',
  50: 'SM: TTM 0 for page group request',
  56: 'SM: Error attempting to access Root Entry',
  57: 'SM: Present bit in Root Entry is clear',
  58: 'SM: Non-zero reserved field set in Root Entry',
  64: 'SM: Error attempting to access Context Entry',
  65: 'SM: Present bit in Context Entry is clear',
  66: 'SM: Non-zero reserved field set in the Context Entry',
  67: 'SM: Invalid Context Entry',
  68: 'SM: DTE field in Context Entry is clear',
  69: 'SM: PASID Enable field in Context Entry is clear',
  70: 'SM: PASID is larger than the max in Context Entry',
  71: 'SM: PRE field in Context-Entry is clear',
  72: 'SM: RID_PASID field error in Context-Entry',
  80: 'SM: Error attempting to access the PASID Directory Entry',
  81: 'SM: Present bit in Directory Entry is clear',
  82: 'SM: Non-zero reserved field set in PASID Directory Entry',
  88: 'SM: Error attempting to access PASID Table Entry',
  89: 'SM: Present bit in PASID Table Entry is clear',
  90: 'SM: Non-zero reserved field set in PASID Table Entry',
  91: 'SM: Invalid Scalable-Mode PASID Table Entry',
  92: 'SM: ERE field is clear in PASID Table Entry',
  93: 'SM: SRE field is clear in PASID Table Entry',
  112: 'SM: Error attempting to access first-level paging entry',
  113: 'SM: Present bit in first-level paging entry is clear',
  114: 'SM: Non-zero reserved field set in first-level paging entry',
  115: 'SM: Error attempting to access FL-PML4 entry',
  116: 'SM: First-level entry address beyond MGAW in Nested translation',
  117: 'SM: Read permission error in FL-PML4 entry in Nested translation',
  118: 'SM: Read permission error in first-level paging entry in Nested translation',
  119: 'SM: Write permission error in first-level paging entry in Nested translation',
  120: 'SM: Error attempting to access second-level paging entry',
  121: 'SM: Read/Write permission error in second-level paging entry',
  122: 'SM: Non-zero reserved field set in second-level paging entry',
  123: 'SM: Invalid second-level page table pointer',
  124: 'SM: A/D bit update needed in second-level entry when set up in no snoop',
  128: 'SM: Address in first-level translation is not canonical',
  129: 'SM: U/S set 0 for first-level translation with user privilege',
  130: 'SM: No execute permission for request with PASID and ER=1',
  131: 'SM: Address beyond the DMA hardware max',
  132: 'SM: Second-level entry address beyond the max',
  133: 'SM: No write permission for Write/AtomicOp request',
  134: 'SM: No read permission for Read/AtomicOp request',
  135: 'SM: Invalid address-interrupt address',
  144: 'SM: A/D bit update needed in first-level entry when set up in no snoop',
};

const IRQ_REMAP_TEXT: readonly string[] = [
  'Detected reserved fields in the decoded interrupt-remapped request',
  'Interrupt index exceeded the interrupt-remapping table size',
  'Present field in the IRTE entry is clear',
  'Error accessing interrupt-remapping table pointed by IRTA_REG',
  'Detected reserved fields in the IRTE entry',
  'Blocked a compatibility format interrupt request',
  'Blocked an interrupt request due to source-id verification failure',
];

/**
 * dmar_get_fault_reason(): the text Linux prints for any reason code — interrupt-remapping
 * (0x20..0x26), scalable-mode (0x30..0x90), legacy (0x00..0x0D) — and "Unknown" otherwise. The
 * one lookup every fault path (legacy and scalable-mode translation, the fault recorder) uses.
 */
export function faultReasonText(reason: number): string {
  if (reason >= 0x20 && reason - 0x20 < IRQ_REMAP_TEXT.length) return IRQ_REMAP_TEXT[reason - 0x20]!;
  if (reason >= SM_FIRST && reason <= SM_LAST) return DMA_REMAP_SM_TEXT[reason] ?? 'Unknown';
  if (reason >= 0 && reason < DMA_REMAP_TEXT.length) return DMA_REMAP_TEXT[reason]!;
  return 'Unknown';
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/**
 * The line dmar_fault_do_one() prints (mainline since ~v5.10, pr_fmt "DMAR: "), e.g.
 * `DMAR: [DMA Read NO_PASID] Request device [00:1f.6] fault addr 0xfffff000 [fault reason 0x06] PTE Read access is not set`.
 * `addr` is the recorded page address.
 */
export function dmarFaultLine(f: {
  sourceId: number;
  address: number;
  reason: number;
  write: boolean;
  pasid: number;
}): string {
  const dev = formatBdf(f.sourceId as never);
  const text = faultReasonText(f.reason);
  if (f.reason >= 0x20 && f.reason - 0x20 < IRQ_REMAP_TEXT.length) {
    return `DMAR: [INTR-REMAP] Request device [${dev}] fault index 0x${f.address.toString(16)} [fault reason 0x${hex2(f.reason)}] ${text}`;
  }
  const kind = f.write ? 'DMA Write' : 'DMA Read';
  const pasid = f.pasid >= 0 ? `PASID 0x${f.pasid.toString(16)}` : 'NO_PASID';
  return `DMAR: [${kind} ${pasid}] Request device [${dev}] fault addr 0x${f.address.toString(16)} [fault reason 0x${hex2(f.reason)}] ${text}`;
}

export interface FaultRecord {
  /** FI: faulting page address (low 12 bits clear). */
  fi: number;
  sid: number;
  fr: number;
  /** T: 1 = read, 0 = write (as the register encodes it). */
  t: number;
  pasid: number;
}

/** The unit's fault-recording registers and FSTS (PFO, PPF, FRI). */
export class FaultRecorder {
  readonly records: (FaultRecord | null)[];
  /** FSTS.FRI: index of the first pending record (where Linux starts reading). */
  fri = 0;
  /** Next record the hardware writes (round robin). */
  private next = 0;
  /** FSTS.PFO: primary fault overflow. */
  pfo = false;
  recorded = 0;
  dropped = 0;

  constructor(readonly count: number) {
    this.records = new Array(count).fill(null);
  }

  /** FSTS.PPF: some record is pending (F=1). */
  get ppf(): boolean {
    return this.records.some((r) => r !== null);
  }

  /** Records a fault; returns false when it was dropped because the next record is still pending. */
  record(r: FaultRecord): boolean {
    if (this.records[this.next] !== null) {
      this.pfo = true;
      this.dropped++;
      return false;
    }
    if (!this.ppf) this.fri = this.next;
    this.records[this.next] = r;
    this.next = (this.next + 1) % this.count;
    this.recorded++;
    return true;
  }

  /**
   * Linux's dmar_fault(): "DRHD: handling fault status reg", then from FRI-walked pending records
   * one line each, clearing F; finally PFO/PPF cleared. Returns the lines it would print.
   */
  service(): string[] {
    if (!this.ppf && !this.pfo) return [];
    const fsts = (this.pfo ? 1 : 0) | (this.ppf ? 2 : 0) | (this.fri << 8);
    const lines = [`DMAR: DRHD: handling fault status reg ${fsts.toString(16)}`];
    for (let n = 0, i = this.fri; n < this.count; n++, i = (i + 1) % this.count) {
      const r = this.records[i];
      if (!r) break; // dmar_fault() stops at the first record whose F bit is clear
      lines.push(dmarFaultLine({ sourceId: r.sid, address: r.fi, reason: r.fr, write: r.t === 0, pasid: r.pasid }));
      this.records[i] = null;
    }
    this.pfo = false;
    return lines;
  }
}
