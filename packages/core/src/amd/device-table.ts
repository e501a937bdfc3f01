// SPDX-License-Identifier: Apache-2.0
// AMD-Vi device table entries (AMD IOMMU spec #48882 rev 3.x §2.2.2.1; facts sheet §2.2): 256 bits,
// indexed by the 16-bit DeviceID (bus << 8 | devfn). The table lives in simulated memory; only the
// 4 KiB pages of it that hold programmed entries are allocated.

import { compile, fieldHalves, getAddress, getField, getNumber, pack, readField } from '../bits/bitfield';
import type { PhysMemory } from '../memory/phys-memory';
import { DTE, DTE_RESERVED } from './fields';

/** DTE_RESERVED as eight 32-bit words (bits 31:0, 63:32, ... 255:224), for the hot-path read. */
const DTE_RESERVED_WORDS = Uint32Array.from({ length: 8 }, (_, k) =>
  Number((DTE_RESERVED >> BigInt(32 * k)) & 0xffff_ffffn),
);

/** The DTE's fields as the 32-bit-word read (readFast) takes them, derived from DTE. */
const DTE_W = compile(DTE);
const DTE_ROOT = fieldHalves(DTE, 'PageTableRootPtr');

/** DTE Mode 7 is reserved (spec Table 7; only 0, "no translation", and 1..6 levels are defined). */
export const DTE_MODE_RESERVED = 7;

export const DTE_SIZE = 32;

export function readDte(mem: PhysMemory, tableBase: number, deviceId: number): bigint {
  return mem.readWide(tableBase + deviceId * DTE_SIZE, DTE_SIZE);
}

export function writeDte(mem: PhysMemory, tableBase: number, deviceId: number, v: bigint): void {
  mem.writeWide(tableBase + deviceId * DTE_SIZE, DTE_SIZE, v);
}

/** A translating DTE as Linux's set_dte_entry() writes it: V, TV, Mode, root, IR, IW, DomainID (+ I for ATS). */
export function translatingDte(rootPa: number, mode: number, domainId: number, ats = false): bigint {
  return pack(
    DTE,
    {
      V: 1,
      TV: 1,
      Mode: mode,
      IR: 1,
      IW: 1,
      DomainID: domainId,
      I: ats ? 1 : 0,
    },
    { PageTableRootPtr: rootPa },
  );
}

/** Identity (pass-through): Mode 0 with IR and IW; blocked: V and TV only (Linux's "clear DTE"). */
export function passthroughDte(domainId: number): bigint {
  return pack(DTE, { V: 1, TV: 1, Mode: 0, IR: 1, IW: 1, DomainID: domainId });
}
export function blockedDte(): bigint {
  return pack(DTE, { V: 1, TV: 1 });
}

export interface DecodedDte {
  v: boolean;
  tv: boolean;
  mode: number;
  root: number;
  ir: boolean;
  iw: boolean;
  domainId: number;
  sa: boolean;
  /** A reserved bit (DTE_RESERVED) is set. */
  reserved: boolean;
}

export function decodeDte(v: bigint): DecodedDte {
  return {
    v: getField(v, DTE, 'V') === 1n,
    tv: getField(v, DTE, 'TV') === 1n,
    mode: getNumber(v, DTE, 'Mode'),
    root: getAddress(v, DTE, 'PageTableRootPtr'),
    ir: getField(v, DTE, 'IR') === 1n,
    iw: getField(v, DTE, 'IW') === 1n,
    domainId: getNumber(v, DTE, 'DomainID'),
    sa: getField(v, DTE, 'SA') === 1n,
    reserved: (v & DTE_RESERVED) !== 0n,
  };
}

/** The device table: up to 64 Ki entries, 2 MiB; pages allocated as entries are programmed. */
export class DeviceTable {
  /** Base address the Device Table Base register holds (a 2 MiB region of simulated memory). */
  readonly base: number;
  constructor(
    private readonly mem: PhysMemory,
    base = 0x7000_0000,
  ) {
    this.base = base;
  }
  /**
   * Decodes the fields translation uses straight from the entry's 32-bit words (w0 = bits 31:0,
   * w1 = 63:32, w2 = 95:64, ...) into `out`, without building the 256-bit value; read on a DTE-cache
   * miss only.
   */
  readFast(deviceId: number, out: DecodedDte): void {
    const pa = this.base + deviceId * DTE_SIZE;
    const page = this.mem.words(Math.floor(pa / 4096));
    if (page === undefined) {
      out.v = false;
      out.tv = false;
      out.reserved = false;
      return;
    }
    const i = (pa & 0xfff) >>> 2; // a 32-byte entry never crosses a page
    out.v = readField(page, i, DTE_W.V) !== 0;
    out.tv = readField(page, i, DTE_W.TV) !== 0;
    out.mode = readField(page, i, DTE_W.Mode);
    out.root = (page[i + 1]! & DTE_ROOT.hi) * 4294967296 + ((page[i]! & DTE_ROOT.lo) >>> 0);
    out.ir = readField(page, i, DTE_W.IR) !== 0;
    out.iw = readField(page, i, DTE_W.IW) !== 0;
    out.domainId = readField(page, i, DTE_W.DomainID);
    out.sa = readField(page, i, DTE_W.SA) !== 0;
    let rsvd = 0;
    for (let k = 0; k < 8; k++) rsvd |= page[i + k]! & DTE_RESERVED_WORDS[k]!;
    out.reserved = rsvd !== 0;
  }

  read(deviceId: number): bigint {
    return readDte(this.mem, this.base, deviceId);
  }
  write(deviceId: number, v: bigint): void {
    writeDte(this.mem, this.base, deviceId, v);
  }
}
