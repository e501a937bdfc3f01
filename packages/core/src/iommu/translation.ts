// SPDX-License-Identifier: Apache-2.0
// A device's DMA request and its outcome, shared by the VT-d and AMD-Vi units.
// Simulated hardware faults are values, not exceptions (STYLE.md item 8): a translation either
// succeeds or carries one TranslationFault, from which the fault record, the Linux log line and
// the span event are all built.

export interface DmaRequest {
  /** Requester id (bus << 8 | devfn). */
  sourceId: number;
  /** PCI segment of the requester. */
  segment: number;
  /** Untranslated address the device emitted (IOVA or GPA). */
  address: number;
  write: boolean;
  /** PASID (process address space id) when the request carries one, else -1. */
  pasid: number;
}

export interface TranslationFault {
  unit: 'vtd' | 'amd' | 'smmu';
  /** The specification's numeric code: VT-d fault reason (0x01..0x90), AMD event code (0x1..0xE) or SMMUv3 event type (0x01..0x25). */
  reason: number;
  /** Linux's text for the reason (e.g. 'PTE Read access is not set'). */
  reasonText: string;
  sourceId: number;
  segment: number;
  /** Faulting address as recorded (VT-d: page address, low 12 bits clear). */
  address: number;
  write: boolean;
  pasid: number;
  domainId: number;
  /** AMD event flags (IO_PAGE_FAULT), 0 for VT-d. */
  flags: number;
  /** The line Linux prints for this fault, exactly. */
  logLine: string;
}

/** Reusable output of a translation (callers keep one; the success path does not allocate). */
export interface TranslationOut {
  ok: boolean;
  /** Host physical address on success. */
  pa: number;
  /** Page size of the translation (log2 bytes). */
  sizeLg2: number;
  /** True when the IOTLB answered. */
  iotlbHit: boolean;
  /** Memory reads this translation made (context/device table, page-table levels). */
  memReads: number;
  /** Set when ok is false. */
  fault: TranslationFault | null;
}

export function newTranslationOut(): TranslationOut {
  return { ok: false, pa: 0, sizeLg2: 12, iotlbHit: false, memReads: 0, fault: null };
}
