// SPDX-License-Identifier: Apache-2.0
// Legacy-mode root and context tables (VT-d spec rev 4.1 §9.1 root entry, §9.3 context entry;
// facts sheet §1.4). Root table: 256 x 16-byte entries indexed by bus; context table: 256 x 16-byte
// entries indexed by devfn. Both live in simulated physical memory, where the unit reads them.
//
// Reserved-bit masks follow QEMU (root lo 0xffe plus bits above the host address width; context
// lo 0xff0, hi 0xffffffffff000080); the model's host address width is 52 bits.

import { getAddress, getField, getNumber, pack } from '../bits/bitfield';
import type { PhysMemory } from '../memory/phys-memory';
import { CONTEXT_ENTRY, CONTEXT_ENTRY_RESERVED, ROOT_ENTRY } from './fields';

/** Translation types (context TT, Linux CONTEXT_TT_*). */
export const CONTEXT_TT_MULTI_LEVEL = 0;
export const CONTEXT_TT_DEV_IOTLB = 1;
export const CONTEXT_TT_PASS_THROUGH = 2;

/** A context entry's fields as the unit uses them (decodeContext() says what each is). */
export type ContextEntry = ReturnType<typeof decodeContext>;

export function decodeContext(v: bigint) {
  return {
    present: getField(v, CONTEXT_ENTRY, 'P') === 1n,
    fpd: getField(v, CONTEXT_ENTRY, 'FPD') === 1n,
    tt: getNumber(v, CONTEXT_ENTRY, 'TT'),
    slptptr: getAddress(v, CONTEXT_ENTRY, 'SLPTPTR'),
    aw: getNumber(v, CONTEXT_ENTRY, 'AW'),
    did: getNumber(v, CONTEXT_ENTRY, 'DID'),
    /** Reserved bits set (fault 0x0B). */
    reservedSet: (v & CONTEXT_ENTRY_RESERVED) !== 0n,
  };
}

export function encodeContext(e: { tt: number; slptptr: number; aw: number; did: number; fpd?: boolean }): bigint {
  return pack(
    CONTEXT_ENTRY,
    {
      P: 1,
      FPD: e.fpd ? 1 : 0,
      TT: e.tt,
      AW: e.aw,
      DID: e.did,
    },
    { SLPTPTR: e.slptptr },
  );
}

export function encodeRoot(contextTablePa: number): bigint {
  return pack(ROOT_ENTRY, { P: 1 }, { CTP: contextTablePa });
}

/** The root table of one unit and the context tables it points to, kept in simulated memory. */
export class RootTable {
  readonly rootPa: number;
  constructor(private readonly mem: PhysMemory) {
    this.rootPa = mem.allocTablePage();
  }

  /** The context table for `bus`, allocated (and the root entry written) on first use. */
  contextTable(bus: number): number {
    const rePa = this.rootPa + bus * 16;
    const re = this.mem.readWide(rePa, 16);
    if (getField(re, ROOT_ENTRY, 'P') === 1n) return getAddress(re, ROOT_ENTRY, 'CTP');
    const ctPa = this.mem.allocTablePage();
    this.mem.writeWide(rePa, 16, encodeRoot(ctPa));
    return ctPa;
  }

  setContext(sourceId: number, entry: bigint): void {
    this.mem.writeWide(this.contextTable(sourceId >>> 8) + (sourceId & 0xff) * 16, 16, entry);
  }

  clearContext(sourceId: number): void {
    this.mem.writeWide(this.contextTable(sourceId >>> 8) + (sourceId & 0xff) * 16, 16, 0n);
  }
}
