// SPDX-License-Identifier: Apache-2.0
// VT-d capability registers (Intel VT-d spec rev 4.1 §11.4.2 CAP_REG, §11.4.3 ECAP_REG; facts
// sheet §1.2-1.3), derived from a parameter object. Fields [hi, lo] as the spec prints them.

import { pack } from '../bits/bitfield';
import { DEFAULT_IOTLB_GEOMETRY, type IotlbGeometry } from '../caches/cache-types';
import { CAP_REG, ECAP_REG } from './fields';

export interface VtdParams {
  /** Guest (input) address width: 39, 48 or 57 bits (3, 4, 5 levels). */
  addressWidth: 39 | 48 | 57;
  superpages: { '2M': boolean; '1G': boolean };
  /** CAP.CM: caching mode (virtual IOMMUs). */
  cachingMode: boolean;
  /** ECAP.DT: device-TLB (ATS). */
  deviceTlb: boolean;
  /** ECAP.PT: hardware pass-through (context TT=2). */
  passThrough: boolean;
  /** ECAP.IR / EIM: interrupt remapping and x2APIC mode. */
  interruptRemapping: boolean;
  /** CAP.ND encoding: 2^(4+2*ND) domain ids. Default 6 (64 Ki). */
  nd: number;
  /** Number of fault-recording registers (NFR+1). */
  faultRecords: number;
  /** CAP.MAMV: largest address mask for page-selective invalidation. */
  mamv: number;
  iotlb: IotlbGeometry;
  /** Paging-structure-cache entries per level (not published; 0 disables the caches). */
  pscEntriesPerLevel: number;
  /** ECAP.C: page-walk coherency (Linux clflushes table writes when 0). */
  coherent: boolean;
  /**
   * CAP.PI: posted interrupts (§5.2): an assigned device's interrupt is posted to its vCPU
   * without a VM exit. Server parts have it; client parts (laptops) do not.
   */
  postedInterrupts: boolean;
  /** ECAP.SC: snoop control — SNP in second-stage leaves is honoured instead of reserved (§9.8). */
  snoopControl: boolean;
}

export const DEFAULT_VTD_PARAMS: VtdParams = {
  addressWidth: 48,
  superpages: { '2M': true, '1G': true },
  cachingMode: false,
  deviceTlb: true,
  passThrough: true,
  interruptRemapping: true,
  nd: 6,
  faultRecords: 8,
  mamv: 18,
  iotlb: DEFAULT_IOTLB_GEOMETRY,
  pscEntriesPerLevel: 32,
  coherent: true,
  postedInterrupts: true,
  snoopControl: true,
};

/** Fault-recording registers start here (FRO x 16); IOTLB registers at IRO x 16 (as QEMU places them). */
export const FRO_OFFSET = 0x220;
export const IRO_OFFSET = 0xf0;

/** SAGAW bit for a width: bit 1 = 39-bit, bit 2 = 48-bit, bit 3 = 57-bit (§11.4.2). */
export function sagawBit(width: 39 | 48 | 57): number {
  return width === 39 ? 1 : width === 48 ? 2 : 3;
}

/** AW field of a context entry for a width: 1 = 39, 2 = 48, 3 = 57 (§9.3). */
export function agaw(width: 39 | 48 | 57): number {
  return sagawBit(width);
}

/**
 * The second-stage widths the unit walks (CAP.SAGAW): every supported width up to its own, as
 * QEMU reports them (39, plus 48 with aw-bits 48, plus 57 with aw-bits 57).
 */
export function supportedWidths(p: VtdParams): (39 | 48 | 57)[] {
  return ([39, 48, 57] as const).filter((w) => w <= p.addressWidth);
}

/** CAP.SAGAW of the unit: bit 1 = 39-bit (3-level), 2 = 48-bit (4-level), 3 = 57-bit (5-level). */
export function sagaw(p: VtdParams): number {
  let bits = 0;
  for (const w of supportedWidths(p)) bits |= 1 << sagawBit(w);
  return bits;
}

export function capReg(p: VtdParams): bigint {
  return pack(CAP_REG, {
    ND: p.nd,
    CM: p.cachingMode ? 1 : 0,
    SAGAW: sagaw(p),
    MGAW: p.addressWidth - 1,
    FRO: FRO_OFFSET / 16,
    SLLPS: (p.superpages['2M'] ? 1 : 0) | (p.superpages['1G'] ? 2 : 0),
    PSI: 1,
    NFR: p.faultRecords - 1,
    MAMV: p.mamv,
    DWD: 1,
    DRD: 1,
    PI: p.postedInterrupts ? 1 : 0,
  });
}

export function ecapReg(p: VtdParams): bigint {
  return pack(ECAP_REG, {
    C: p.coherent ? 1 : 0,
    QI: 1,
    DT: p.deviceTlb ? 1 : 0,
    IR: p.interruptRemapping ? 1 : 0,
    EIM: p.interruptRemapping ? 1 : 0,
    PT: p.passThrough ? 1 : 0,
    SC: p.snoopControl ? 1 : 0,
    IRO: IRO_OFFSET / 16,
    MHMV: 0xf,
  });
}

/** Number of domain ids the unit supports: 2^(4 + 2*ND). */
export function domainIdCount(p: VtdParams): number {
  return 2 ** (4 + 2 * p.nd);
}
