// SPDX-License-Identifier: Apache-2.0
// The DTE cache of one AMD-Vi unit (AMD IOMMU spec #48882 rev 3.x §2.2.2.1, §2.4.3): device table
// entries looked up by DeviceID, read from the device table in memory on their first use and
// dropped by INVALIDATE_DEVTAB_ENTRY (one DeviceID) or INVALIDATE_IOMMU_ALL (all). The cache's
// size is not published: it holds every DeviceID (64 Ki), as the VT-d context cache here
// (vtd/context-cache.ts), so a stale entry stays in use until it is invalidated, as on hardware.
//
// Storage is typed arrays indexed by DeviceID (one Int32 load per request on the hot path, no
// allocation). They are allocated on the first fill (~768 KiB per unit), so units that never
// translate — most units of a fleet model — do not carry them; an empty array reads as "not cached".

import { bits, type FieldTable, wordField } from '../bits/bitfield';
import { type DecodedDte, type DeviceTable, DTE_MODE_RESERVED } from './device-table';

/**
 * One cached DTE packed into an Int32; 0 = not cached. The model's own layout (hardware caches are
 * not specified), kept as a field table like the entries it caches; the constants the translate
 * path reads are derived from it at module load.
 */
export const DC_ENTRY = {
  CACHED: [0, 0],
  /** Derived at fill: V = 1, TV = 1 and Mode 1..6 — the request goes to the IOTLB (one test on the hot path). */
  XLATE: [1, 1],
  V: [2, 2],
  TV: [3, 3],
  IR: [4, 4],
  IW: [5, 5],
  /** The DTE's Mode (0: no translation, 1..6: the root level). */
  MODE: [8, 6],
  /** DomainID, the top field: `entry >>> DC_DID_SHIFT` needs no mask. */
  DID: [31, 16],
} as const satisfies FieldTable;
export const {
  CACHED: DC_CACHED,
  XLATE: DC_XLATE,
  V: DC_V,
  TV: DC_TV,
  IR: DC_IR,
  IW: DC_IW,
} = bits(DC_ENTRY, 'CACHED', 'XLATE', 'V', 'TV', 'IR', 'IW');
const MODE = wordField(DC_ENTRY, 'MODE');
export const DC_MODE_SHIFT = MODE.shift;
export const DC_MODE_MASK = MODE.mask;
export const DC_DID_SHIFT = wordField(DC_ENTRY, 'DID').shift;

const DEVICE_IDS = 65536;

export class AmdDteCache {
  /** The packed entry (DC_* bits above) per DeviceID. */
  entry = new Int32Array(0);
  /** PageTableRootPtr of each cached DTE, as a physical address. */
  root = new Float64Array(0);
  /** The last DTE read by load(), decoded (for the illegal-DTE event: its DomainID and RZ flag). */
  readonly last: DecodedDte = {
    v: false,
    tv: false,
    mode: 0,
    root: 0,
    ir: false,
    iw: false,
    domainId: 0,
    sa: false,
    reserved: false,
  };

  constructor(private readonly devTable: DeviceTable) {}

  /**
   * Reads the DTE of `deviceId` from the device table (one 32-byte read) and caches it; returns
   * false, caching nothing, when it is illegal: a valid DTE with a reserved bit set, or with the
   * reserved Mode 7 in a translation entry (QEMU amdvi_validate_dte(); spec §2.2.2.1) — `last`
   * then holds it for the event.
   */
  load(deviceId: number): boolean {
    const d = this.last;
    d.mode = 0;
    d.root = 0;
    d.ir = false;
    d.iw = false;
    d.domainId = 0;
    d.sa = false;
    this.devTable.readFast(deviceId, d);
    if (d.v && (d.reserved || (d.tv && d.mode === DTE_MODE_RESERVED))) return false;
    if (this.entry.length === 0) {
      this.entry = new Int32Array(DEVICE_IDS);
      this.root = new Float64Array(DEVICE_IDS);
    }
    this.entry[deviceId] =
      DC_CACHED |
      (d.v && d.tv && d.mode !== 0 ? DC_XLATE : 0) |
      (d.v ? DC_V : 0) |
      (d.tv ? DC_TV : 0) |
      (d.ir ? DC_IR : 0) |
      (d.iw ? DC_IW : 0) |
      (d.mode << DC_MODE_SHIFT) |
      (d.domainId << DC_DID_SHIFT);
    this.root[deviceId] = d.root;
    return true;
  }

  /** INVALIDATE_IOMMU_ALL: every cached DTE. */
  invalidateAll(): void {
    this.entry.fill(0);
  }

  /** INVALIDATE_DEVTAB_ENTRY: the DTE of one DeviceID. */
  invalidateDevice(deviceId: number): void {
    if (deviceId < this.entry.length) this.entry[deviceId] = 0;
  }
}
