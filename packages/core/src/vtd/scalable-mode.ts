// SPDX-License-Identifier: Apache-2.0
// VT-d scalable-mode structures (spec rev 4.1 §9.2 scalable-mode root entry, §9.4 scalable-mode
// context entry, §9.5 PASID directory entry, §9.6 PASID-table entry; facts sheet §1.5), kept in
// simulated memory: root entries point to a lower (devfn 0-127) and an upper (128-255) context
// table of 32-byte entries; a context entry points to a PASID directory (entry = PASID[19:6]),
// whose entries point to 64-entry PASID tables (entry = PASID[5:0]) of 64-byte entries; the PASID
// entry selects first-stage, second-stage, nested or pass-through translation (PGTT).

import { getAddress, getField, getNumber, pack } from '../bits/bitfield';
import type { PhysMemory } from '../memory/phys-memory';
import { PASID_DIR_ENTRY, PASID_ENTRY, SM_CONTEXT_ENTRY, SM_CONTEXT_RESERVED, SM_ROOT_ENTRY } from './fields';

/** PASID-granular translation types (PGTT, §9.6); 0 and 5-7 are reserved. */
export const PGTT = { FIRST_STAGE: 1, SECOND_STAGE: 2, NESTED: 3, PASS_THROUGH: 4 } as const;

/** PASID_MAX (20-bit PASIDs); Linux uses PASID 0 (IOMMU_NO_PASID) as RID_PASID. */
export const PASID_MAX = 0x100000;

export interface PasidEntryFields {
  /** A PGTT value; the encoder writes reserved ones too, as hostile or broken software may. */
  pgtt: number;
  did: number;
  aw: number;
  slptptr?: number;
  flptptr?: number;
  /** First-stage paging mode: 0 = 4-level, 1 = 5-level. */
  flpm?: number;
}

export function encodePasidEntry(e: PasidEntryFields): bigint {
  return pack(
    PASID_ENTRY,
    {
      P: 1,
      AW: e.aw,
      PGTT: e.pgtt,
      DID: e.did,
      FLPM: e.flpm ?? 0,
    },
    { SLPTPTR: e.slptptr ?? 0, FLPTPTR: e.flptptr ?? 0 },
  );
}

export interface SmLookup {
  /** 0 on success, else the scalable-mode fault reason. */
  fault: number;
  entry: bigint;
}

export const SM_FAULT = {
  ROOT_P: 0x39,
  CONTEXT_P: 0x41,
  CONTEXT_RESERVED: 0x42,
  PASID_TOO_LARGE: 0x46,
  DIR_P: 0x51,
  PASID_ENTRY_P: 0x59,
  PASID_ENTRY_INVALID: 0x5b,
  FL_NOT_PRESENT: 0x71,
  FL_RESERVED: 0x72,
  SL_PERMISSION: 0x79,
  SL_RESERVED: 0x7a,
  SL_BAD_POINTER: 0x7b,
  SL_BEYOND: 0x84,
  NO_WRITE: 0x85,
  NO_READ: 0x86,
} as const;

/** The scalable-mode tables of one unit, allocated as entries are programmed. */
export class ScalableModeTables {
  readonly rootPa: number;
  constructor(private readonly mem: PhysMemory) {
    this.rootPa = mem.allocTablePage();
  }

  private contextPa(sid: number, create: boolean): number {
    const rePa = this.rootPa + (sid >>> 8) * 16;
    const re = this.mem.readWide(rePa, 16);
    const upper = (sid & 0x80) !== 0;
    const [pField, ptrField] = upper ? (['UP', 'UCTP'] as const) : (['LP', 'LCTP'] as const);
    let table = getField(re, SM_ROOT_ENTRY, pField) === 1n ? getAddress(re, SM_ROOT_ENTRY, ptrField) : -1;
    if (table < 0) {
      if (!create) return -1;
      table = this.mem.allocTablePage();
      this.mem.writeWide(
        rePa,
        16,
        re |
          (upper ? pack(SM_ROOT_ENTRY, { UP: 1 }, { UCTP: table }) : pack(SM_ROOT_ENTRY, { LP: 1 }, { LCTP: table })),
      );
    }
    return table + (sid & 0x7f) * 32;
  }

  /** Programs the PASID entry of (sid, pasid), creating the context entry, directory and table. */
  setPasidEntry(sid: number, pasid: number, entry: bigint): void {
    const cePa = this.contextPa(sid, true);
    let ce = this.mem.readWide(cePa, 32);
    if (getField(ce, SM_CONTEXT_ENTRY, 'P') === 0n) {
      const dir = this.mem.allocTablePages(4); // PDTS=7: 2^(7+7) = 16 Ki entries = 128 KiB = 2^20 PASIDs
      ce = pack(SM_CONTEXT_ENTRY, { P: 1, PDTS: 7, RID_PASID: 0 }, { PASIDDIRPTR: dir });
      this.mem.writeWide(cePa, 32, ce);
    }
    const dir = getAddress(ce, SM_CONTEXT_ENTRY, 'PASIDDIRPTR');
    const dePa = dir + (pasid >>> 6) * 8;
    let de = this.mem.readU64(dePa);
    if (getField(de, PASID_DIR_ENTRY, 'P') === 0n) {
      de = pack(PASID_DIR_ENTRY, { P: 1 }, { PTP: this.mem.allocTablePage() });
      this.mem.writeU64(dePa, de);
    }
    this.mem.writeWide(getAddress(de, PASID_DIR_ENTRY, 'PTP') + (pasid & 63) * 64, 64, entry);
  }

  clearPasidEntry(sid: number, pasid: number): void {
    const r = this.lookup(sid, pasid);
    if (r.fault === 0) this.setPasidEntry(sid, pasid, 0n);
  }

  /** Reads the PASID entry for a request (pasid < 0: the context's RID_PASID), as hardware does. */
  lookup(sid: number, pasid: number): SmLookup & { reads: number; rid: number } {
    const cePa = this.contextPa(sid, false);
    if (cePa < 0) return { fault: SM_FAULT.ROOT_P, entry: 0n, reads: 1, rid: 0 };
    const ce = this.mem.readWide(cePa, 32);
    if (getField(ce, SM_CONTEXT_ENTRY, 'P') === 0n) return { fault: SM_FAULT.CONTEXT_P, entry: 0n, reads: 2, rid: 0 };
    if ((ce & SM_CONTEXT_RESERVED) !== 0n) return { fault: SM_FAULT.CONTEXT_RESERVED, entry: 0n, reads: 2, rid: 0 };
    const rid = getNumber(ce, SM_CONTEXT_ENTRY, 'RID_PASID');
    const p = pasid >= 0 ? pasid : rid;
    const dirEntries = 2 ** (getNumber(ce, SM_CONTEXT_ENTRY, 'PDTS') + 7);
    if (p >>> 6 >= dirEntries || p >= PASID_MAX) return { fault: SM_FAULT.PASID_TOO_LARGE, entry: 0n, reads: 2, rid };
    const de = this.mem.readU64(getAddress(ce, SM_CONTEXT_ENTRY, 'PASIDDIRPTR') + (p >>> 6) * 8);
    if (getField(de, PASID_DIR_ENTRY, 'P') === 0n) return { fault: SM_FAULT.DIR_P, entry: 0n, reads: 3, rid };
    const pe = this.mem.readWide(getAddress(de, PASID_DIR_ENTRY, 'PTP') + (p & 63) * 64, 64);
    if (getField(pe, PASID_ENTRY, 'P') === 0n) return { fault: SM_FAULT.PASID_ENTRY_P, entry: 0n, reads: 4, rid };
    const pgtt = getNumber(pe, PASID_ENTRY, 'PGTT');
    if (pgtt < PGTT.FIRST_STAGE || pgtt > PGTT.PASS_THROUGH)
      return { fault: SM_FAULT.PASID_ENTRY_INVALID, entry: pe, reads: 4, rid };
    return { fault: 0, entry: pe, reads: 4, rid };
  }
}
