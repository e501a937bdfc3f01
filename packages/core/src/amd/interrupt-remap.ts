// SPDX-License-Identifier: Apache-2.0
// AMD-Vi interrupt remapping (AMD IOMMU spec #48882 §2.2.5; facts sheet §2.2): the DTE's IV,
// IntTabLen, IntTableRootPtr and IntCtl select a per-device interrupt remapping table; an MSI's
// data bits 10:0 index it. The 32-bit (legacy) IRTE gives the destination and vector; an entry
// with RemapEn=0 is a blocked interrupt, reported as IO_PAGE_FAULT with the I flag unless SupIOPF.

import { getField, getNumber, pack } from '../bits/bitfield';
import type { PhysMemory } from '../memory/phys-memory';
import { AMD_EVENT, AMD_EVENT_FLAG, amdEventLine } from './event-log';
import { IRTE32 } from './fields';

/** DTE interrupt control (IntCtl): 0 abort, 1 forward unmapped, 2 remap. */
export const INTCTL_ABORT = 0;
export const INTCTL_PASS = 1;
export const INTCTL_REMAP = 2;

export function encodeIrte32(e: { vector: number; destination: number; logical?: boolean; intType?: number }): number {
  return Number(
    pack(IRTE32, {
      RemapEn: 1,
      IntType: e.intType ?? 0,
      DM: e.logical ? 1 : 0,
      Destination: e.destination,
      Vector: e.vector,
    }),
  );
}

export type AmdRemapResult =
  | { ok: true; vector: number; destination: number; logical: boolean }
  | { ok: false; reason: 'aborted' | 'blocked' | 'index-beyond'; logLine?: string };

/** One device's table (Linux: 512 entries, DTE IntTabLen = 9) in simulated memory. */
export class AmdIrqTable {
  readonly basePa: number;
  readonly entries: number;
  constructor(
    private readonly mem: PhysMemory,
    readonly deviceId: number,
    intTabLen = 9,
    readonly intCtl = INTCTL_REMAP,
  ) {
    this.entries = 2 ** intTabLen;
    this.basePa = mem.allocTablePage(); // 512 x 4 B = 2 KiB (128-byte aligned)
  }

  set(index: number, irte: number): void {
    this.mem.writeU32(this.basePa + index * 4, irte);
  }

  /** Remaps an MSI whose data carries the table index in bits 10:0. */
  remap(msiData: number, segment = 0): AmdRemapResult {
    if (this.intCtl === INTCTL_ABORT) return { ok: false, reason: 'aborted' };
    if (this.intCtl === INTCTL_PASS) return { ok: true, vector: msiData & 0xff, destination: 0, logical: false };
    const index = msiData & 0x7ff;
    if (index >= this.entries) return { ok: false, reason: 'index-beyond' };
    const e = BigInt(this.mem.readU32(this.basePa + index * 4));
    if (getField(e, IRTE32, 'RemapEn') === 0n) {
      const suppressed = getField(e, IRTE32, 'SupIOPF') === 1n;
      const logLine = suppressed
        ? undefined
        : amdEventLine(
            {
              code: AMD_EVENT.IO_FAULT,
              deviceId: this.deviceId,
              domainId: 0,
              address: 0xfee0_0000,
              flags: AMD_EVENT_FLAG.I,
            },
            segment,
          );
      return { ok: false, reason: 'blocked', logLine };
    }
    return {
      ok: true,
      vector: getNumber(e, IRTE32, 'Vector'),
      destination: getNumber(e, IRTE32, 'Destination'),
      logical: getField(e, IRTE32, 'DM') === 1n,
    };
  }
}
