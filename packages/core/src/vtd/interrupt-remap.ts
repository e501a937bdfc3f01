// SPDX-License-Identifier: Apache-2.0
// VT-d interrupt remapping (spec rev 4.1 §5.1, §9.9-9.10; facts sheet §1.8): an MSI in remappable
// format names an interrupt-remapping table entry (IRTE) by handle (+ subhandle); the unit checks
// the entry and the requester's source id and delivers the interrupt the IRTE describes, or
// records a fault with codes 0x20-0x26 (Linux irq_remap_fault_reasons[]).

import { compile, field32, fieldWidth, getField, getNumber, pack } from '../bits/bitfield';
import type { PhysMemory } from '../memory/phys-memory';
import { dmarFaultLine, faultReasonText } from './faults';
import { IRTE, IRTE_RESERVED, MSI_ADDR, MSI_DATA } from './fields';

const MSI_ADDR_BASE = 0xfee;
const MA = compile(MSI_ADDR);
const MD = compile(MSI_DATA);
const HANDLE_LOW_BITS = fieldWidth(MSI_ADDR.HANDLE_14_0);

export const IR_FAULT = {
  REQUEST_RESERVED: 0x20,
  INDEX_BEYOND: 0x21,
  NOT_PRESENT: 0x22,
  TABLE_ACCESS: 0x23,
  IRTE_RESERVED: 0x24,
  COMPAT_BLOCKED: 0x25,
  SID_MISMATCH: 0x26,
} as const;

export interface Msi {
  address: number;
  data: number;
  sourceId: number;
}

export interface RemappedInterrupt {
  vector: number;
  destination: number;
  destinationMode: 'physical' | 'logical';
  deliveryMode: number;
  triggerMode: 'edge' | 'level';
}

export type RemapResult =
  | { ok: true; irq: RemappedInterrupt }
  | { ok: false; reason: number; reasonText: string; index: number; logLine: string };

export function encodeIrte(e: {
  vector: number;
  destination: number;
  sid: number;
  svt?: number;
  sq?: number;
  logical?: boolean;
  level?: boolean;
  dlm?: number;
}): bigint {
  return pack(IRTE, {
    P: 1,
    DM: e.logical ? 1 : 0,
    TM: e.level ? 1 : 0,
    DLM: e.dlm ?? 0,
    V: e.vector,
    DST: e.destination,
    SID: e.sid,
    SQ: e.sq ?? 0,
    SVT: e.svt ?? 1,
  });
}

/** Remappable-format MSI address (§5.1.5.2): the MSI_ADDR fields with Interrupt Format = 1. */
export function remappableMsiAddress(handle: number, shv = false): number {
  const low = 2 ** HANDLE_LOW_BITS;
  return Number(
    pack(MSI_ADDR, {
      BASE: MSI_ADDR_BASE,
      HANDLE_14_0: handle % low,
      IF: 1,
      SHV: shv ? 1 : 0,
      HANDLE_15: Math.floor(handle / low) & 1,
    }),
  );
}

/** SQ masks of the function bits ignored when verifying a source id (SVT=1). */
const SQ_MASK = [0xffff, 0xfffb, 0xfff9, 0xfff8];

export class InterruptRemapTable {
  readonly basePa: number;
  readonly entries: number;
  /** GSTS.CFIS: compatibility-format interrupts allowed (Linux clears it: they are blocked). */
  compatAllowed = false;
  faults = 0;

  /** @param sizeField IRTA.S: the table holds 2^(S+1) entries (Linux uses S=15: 65536). */
  constructor(
    private readonly mem: PhysMemory,
    sizeField = 7,
  ) {
    this.entries = 2 ** (sizeField + 1);
    this.basePa = mem.allocTablePages(Math.max(0, Math.ceil(Math.log2((this.entries * 16) / 4096))));
  }

  set(index: number, irte: bigint): void {
    this.mem.writeWide(this.basePa + index * 16, 16, irte);
  }

  private fail(msi: Msi, reason: number, index: number): RemapResult {
    this.faults++;
    return {
      ok: false,
      reason,
      reasonText: faultReasonText(reason),
      index,
      logLine: dmarFaultLine({ sourceId: msi.sourceId, address: index, reason, write: false, pasid: -1 }),
    };
  }

  /** Remaps one MSI write (§5.1.4): decode the handle, check the IRTE and the source id. */
  remap(msi: Msi): RemapResult {
    if (field32(msi.address, MA.IF) === 0) {
      return this.compatAllowed
        ? {
            ok: true,
            irq: {
              vector: field32(msi.data, MD.VECTOR),
              destination: field32(msi.address, MA.DEST_ID),
              destinationMode: 'physical',
              deliveryMode: 0,
              triggerMode: 'edge',
            },
          }
        : this.fail(msi, IR_FAULT.COMPAT_BLOCKED, 0);
    }
    const handle = field32(msi.address, MA.HANDLE_14_0) | (field32(msi.address, MA.HANDLE_15) << HANDLE_LOW_BITS);
    const index = handle + (field32(msi.address, MA.SHV) !== 0 ? field32(msi.data, MD.SUBHANDLE) : 0);
    if (index >= this.entries) return this.fail(msi, IR_FAULT.INDEX_BEYOND, index);
    const e = this.mem.readWide(this.basePa + index * 16, 16);
    if (getField(e, IRTE, 'P') === 0n) return this.fail(msi, IR_FAULT.NOT_PRESENT, index);
    if ((e & IRTE_RESERVED) !== 0n) return this.fail(msi, IR_FAULT.IRTE_RESERVED, index);
    const svt = getNumber(e, IRTE, 'SVT');
    const sid = getNumber(e, IRTE, 'SID');
    if (svt === 1) {
      const mask = SQ_MASK[getNumber(e, IRTE, 'SQ')]!;
      if ((msi.sourceId & mask) !== (sid & mask)) return this.fail(msi, IR_FAULT.SID_MISMATCH, index);
    } else if (svt === 2) {
      const bus = msi.sourceId >>> 8;
      if (bus < sid >>> 8 || bus > (sid & 0xff)) return this.fail(msi, IR_FAULT.SID_MISMATCH, index);
    } else if (svt === 3) return this.fail(msi, IR_FAULT.IRTE_RESERVED, index);
    return {
      ok: true,
      irq: {
        vector: getNumber(e, IRTE, 'V'),
        destination: getNumber(e, IRTE, 'DST'),
        destinationMode: getField(e, IRTE, 'DM') === 1n ? 'logical' : 'physical',
        deliveryMode: getNumber(e, IRTE, 'DLM'),
        triggerMode: getField(e, IRTE, 'TM') === 1n ? 'level' : 'edge',
      },
    };
  }
}
