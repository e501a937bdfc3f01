// SPDX-License-Identifier: Apache-2.0
// Queued invalidation (VT-d spec rev 4.1 §6.5.2; facts sheet §1.7): 128-bit descriptors in a ring
// in memory (IQA base, IQH head, IQT tail; Linux sizes it to 256 descriptors, QI_LENGTH), written
// by software and consumed by the unit. Linux's qi_submit_sync() (drivers/iommu/intel/dmar.c)
// appends the descriptors plus an invalidation-wait descriptor with SW set and status data QI_DONE,
// after setting the status word to QI_IN_USE, and polls the word until the unit writes QI_DONE. It
// does not set FN (fence): descriptors of one queue complete in order anyway, and Linux uses FN
// only when draining page requests (spec §6.5.2.8).

import { getAddress, getField, getNumber, pack } from '../bits/bitfield';
import { CoreError } from '../errors';
import type { PhysMemory } from '../memory/phys-memory';
import { DESC_COMMON, DESC_CONTEXT_CACHE, DESC_DEV_IOTLB, DESC_IEC, DESC_IOTLB, DESC_WAIT } from './fields';

export const QI_CC_TYPE = 0x1;
export const QI_IOTLB_TYPE = 0x2;
export const QI_DIOTLB_TYPE = 0x3;
export const QI_IEC_TYPE = 0x4;
export const QI_IWD_TYPE = 0x5;

/** Granularities (G field): global, domain-selective, device/page-selective. */
export const QI_GRAN_GLOBAL = 1;
export const QI_GRAN_DOMAIN = 2;
export const QI_GRAN_PAGE = 3;

/** QI_LENGTH in Linux: 256 descriptors. */
export const QI_LENGTH = 256;
/** desc_status values (enum in drivers/iommu/intel/iommu.h: QI_FREE, QI_IN_USE, QI_DONE, QI_ABORT). */
export const QI_FREE = 0;
export const QI_IN_USE = 1;
export const QI_DONE = 2;
export const QI_ABORT = 3;

export function iotlbDesc(g: number, did: number, addr = 0, am = 0, ih = false): bigint {
  return pack(
    DESC_IOTLB,
    {
      TYPE: QI_IOTLB_TYPE,
      G: g,
      DR: 1,
      DW: 1,
      DID: did,
      AM: am,
      IH: ih ? 1 : 0,
    },
    { ADDR: addr },
  );
}
export function contextCacheDesc(g: number, did = 0, sid = 0, fm = 0): bigint {
  return pack(DESC_CONTEXT_CACHE, { TYPE: QI_CC_TYPE, G: g, DID: did, SID: sid, FM: fm });
}
/** Device-TLB invalidation of 2^maskPages 4 KiB pages at addr (S encoding, Linux qi_flush_dev_iotlb). */
export function devIotlbDesc(sid: number, qdep: number, addr: number, maskPages: number): bigint {
  // qi_flush_dev_iotlb(): a queue depth of QI_DEV_IOTLB_MAX_INVS (32) or more is encoded as 0.
  const q = qdep >= 32 ? 0 : qdep;
  let a = BigInt(addr);
  if (maskPages > 0) a |= (1n << BigInt(12 + maskPages - 1)) - 1n;
  return pack(DESC_DEV_IOTLB, { TYPE: QI_DIOTLB_TYPE, QDEP: q, SID: sid, S: maskPages > 0 ? 1 : 0, ADDR: a >> 12n });
}
export function iecDesc(global: boolean, index = 0, im = 0): bigint {
  return pack(DESC_IEC, { TYPE: QI_IEC_TYPE, G: global ? 0 : 1, IM: im, IIDX: index });
}
/** The wait descriptor qi_submit_sync() builds: QI_IWD_STATUS_DATA(data) | QI_IWD_STATUS_WRITE | QI_IWD_TYPE. */
export function waitDesc(statusPa: number, statusData: number): bigint {
  return pack(
    DESC_WAIT,
    {
      TYPE: QI_IWD_TYPE,
      SW: 1,
      STATUS_DATA: statusData,
    },
    { STATUS_ADDR: statusPa },
  );
}

export function descType(d: bigint): number {
  return getNumber(d, DESC_COMMON, 'TYPE');
}

/** What the unit does with a descriptor (its caches); returns false for an invalid descriptor (IQE). */
export type DescriptorHandler = (desc: bigint) => boolean;

export class InvalidationQueue {
  readonly basePa: number;
  /** IQH / IQT as descriptor indexes (the registers hold byte offsets >> 4). */
  head = 0;
  tail = 0;
  /** FSTS.IQE: an invalid descriptor stopped the queue. */
  iqe = false;
  processed = 0;

  constructor(
    private readonly mem: PhysMemory,
    private readonly handler: DescriptorHandler,
  ) {
    this.basePa = mem.allocTablePage(); // 256 x 16 B = 4 KiB (QS = 0)
  }

  private writeDesc(i: number, d: bigint): void {
    this.mem.writeWide(this.basePa + i * 16, 16, d);
  }

  /** The descriptor in ring slot `i`, as the unit reads it from memory. */
  readDescriptor(i: number): bigint {
    return this.mem.readWide(this.basePa + i * 16, 16);
  }

  /** Hardware: consumes descriptors from head to tail (stops at an invalid one with IQE). */
  process(): void {
    while (this.head !== this.tail && !this.iqe) {
      const d = this.readDescriptor(this.head);
      if (descType(d) === QI_IWD_TYPE) {
        if (getField(d, DESC_WAIT, 'SW') === 1n) {
          this.mem.writeU32(getAddress(d, DESC_WAIT, 'STATUS_ADDR'), getNumber(d, DESC_WAIT, 'STATUS_DATA'));
        }
      } else if (!this.handler(d)) {
        this.iqe = true;
        return;
      }
      this.head = (this.head + 1) % QI_LENGTH;
      this.processed++;
    }
  }

  /**
   * Linux qi_submit_sync(): queue `descs` and a wait descriptor, ring the tail, poll the status
   * word. Returns the number of descriptors written (for the cost model). Throws when the queue
   * stops with IQE (Linux: "QI HEAD: ... invalid descriptor" and a retry that fails).
   */
  submitSync(descs: readonly bigint[], statusPa: number): number {
    if (descs.length + 1 >= QI_LENGTH)
      throw new CoreError('INVALID_ARGUMENT', `too many descriptors in one submission: ${descs.length}`);
    this.mem.writeU32(statusPa, QI_IN_USE);
    for (const d of [...descs, waitDesc(statusPa, QI_DONE)]) {
      this.writeDesc(this.tail, d);
      this.tail = (this.tail + 1) % QI_LENGTH;
    }
    this.process();
    if (this.iqe) throw new CoreError('INVALID_STATE', 'DMAR: QI: invalid descriptor (FSTS.IQE)');
    if (this.mem.readU32(statusPa) !== QI_DONE) throw new CoreError('INVALID_STATE', 'DMAR: QI wait did not complete');
    return descs.length + 1;
  }
}
