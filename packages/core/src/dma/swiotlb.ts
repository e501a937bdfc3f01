// SPDX-License-Identifier: Apache-2.0
// The swiotlb bounce pool (kernel/dma/swiotlb.c, include/linux/swiotlb.h): a region of low memory
// cut into 2 KiB slots (IO_TLB_SHIFT 11); a mapping takes up to IO_TLB_SEGSIZE (128) contiguous
// slots that do not cross a 128-slot segment. Free runs are tracked as the kernel does: slots[i].list
// = number of free contiguous slots from i to the end of its segment. The pool is split into areas
// (one lock each, picked by CPU) for scalability. Data is copied through PhysMemory.
//
// Map copies the original buffer into the slot whatever the direction (the kernel does so since
// 2022 so a partial device write cannot leak stale pool data); unmap and sync copy back as the
// direction requires. Pool exhaustion is reported as the kernel does: DMA_MAPPING_ERROR and the
// warning "swiotlb buffer is full (sz: N bytes), total T (slots), used U (slots)".

import type { Hpa } from '../addresses';
import { CoreError } from '../errors';
import type { PhysMemory } from '../memory/phys-memory';
import { SimLock } from '../sim/sim-lock';
import { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE, type DmaDirection } from './dma-types';

/** swiotlb_tbl_map_single()'s failure: (phys_addr_t)DMA_MAPPING_ERROR. */
const NO_SLOT = DMA_MAPPING_ERROR as number as Hpa;

export const IO_TLB_SHIFT = 11;
export const IO_TLB_SIZE = 1 << IO_TLB_SHIFT;
export const IO_TLB_SEGSIZE = 128;
/** IO_TLB_DEFAULT_SIZE: 64 MiB. */
export const IO_TLB_DEFAULT_SIZE = 64 << 20;
/** Default physical base of the model's pool: below 4 GiB, as x86 allocates it (an assumption of place). */
export const SWIOTLB_DEFAULT_BASE = 0xb000_0000;
/** Bound on the pool (STYLE.md item 16): 4 GiB of slots. */
export const SWIOTLB_MAX_SLOTS = 1 << 21;

/** Parsed `swiotlb=<slots>[,<areas>][,force|noforce]` (setup_io_tlb_npages). */
export interface SwiotlbParam {
  nslabs?: number;
  nareas?: number;
  force?: boolean;
  noforce?: boolean;
}

/** setup_io_tlb_npages(): the slot count is rounded up to a whole segment. */
export function parseSwiotlbParam(text: string): SwiotlbParam {
  const out: SwiotlbParam = {};
  let rest = text.trim();
  const num = /^(0x[0-9a-fA-F]+|\d+)/;
  let m = num.exec(rest);
  if (m) {
    out.nslabs = Math.ceil(Number(m[1]) / IO_TLB_SEGSIZE) * IO_TLB_SEGSIZE;
    rest = rest.slice(m[1]!.length);
  }
  if (rest.startsWith(',')) rest = rest.slice(1);
  m = num.exec(rest);
  if (m) {
    out.nareas = Number(m[1]);
    rest = rest.slice(m[1]!.length);
  }
  if (rest.startsWith(',')) rest = rest.slice(1);
  if (rest === 'force') out.force = true;
  else if (rest === 'noforce') out.noforce = true;
  return out;
}

export interface SwiotlbOptions {
  /** Slots (default IO_TLB_DEFAULT_SIZE / IO_TLB_SIZE = 32768). */
  nslabs?: number;
  /** Areas (default: CPU count rounded up to a power of two, limited so each holds a segment). */
  nareas?: number;
  cpuCount?: number;
  basePa?: number;
  /** Receives the kernel's warning lines. */
  log?: (line: string) => void;
}

function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class SwiotlbPool {
  readonly nslabs: number;
  readonly nareas: number;
  readonly areaNslabs: number;
  readonly basePa: number;
  /** slots[i].list: free contiguous slots from i to the end of its segment. */
  readonly list: Int32Array;
  /** slots[i].orig_addr: original buffer address bounced through slot i (-1 when free). */
  readonly origAddr: Float64Array;
  readonly allocSize: Float64Array;
  readonly areaIndex: Int32Array;
  readonly areaUsed: Int32Array;
  readonly areaLocks: SimLock[];
  private readonly log: (line: string) => void;
  mapsFailed = 0;
  bytesBounced = 0;

  constructor(
    private readonly mem: PhysMemory,
    opts: SwiotlbOptions = {},
  ) {
    const nslabs = opts.nslabs ?? IO_TLB_DEFAULT_SIZE / IO_TLB_SIZE;
    if (nslabs < IO_TLB_SEGSIZE || nslabs > SWIOTLB_MAX_SLOTS || nslabs % IO_TLB_SEGSIZE !== 0) {
      throw new CoreError(
        'OUT_OF_RANGE',
        `swiotlb slots ${nslabs}: need a multiple of ${IO_TLB_SEGSIZE} up to ${SWIOTLB_MAX_SLOTS}`,
        {
          nslabs,
        },
      );
    }
    this.nslabs = nslabs;
    let nareas = roundupPow2(opts.nareas ?? opts.cpuCount ?? 1);
    while (nareas > 1 && nslabs / nareas < IO_TLB_SEGSIZE) nareas /= 2; // limit_nareas()
    this.nareas = nareas;
    this.areaNslabs = nslabs / nareas;
    this.basePa = opts.basePa ?? SWIOTLB_DEFAULT_BASE;
    this.list = new Int32Array(nslabs);
    for (let i = 0; i < nslabs; i++) this.list[i] = IO_TLB_SEGSIZE - (i % IO_TLB_SEGSIZE);
    this.origAddr = new Float64Array(nslabs).fill(-1);
    this.allocSize = new Float64Array(nslabs);
    this.areaIndex = new Int32Array(nareas);
    this.areaUsed = new Int32Array(nareas);
    this.areaLocks = Array.from({ length: nareas }, (_, i) => new SimLock(`swiotlb-area-${i}`));
    this.log = opts.log ?? (() => {});
  }

  get used(): number {
    let n = 0;
    for (let i = 0; i < this.nareas; i++) n += this.areaUsed[i]!;
    return n;
  }

  /** The area CPU `cpu` starts its search in (raw_smp_processor_id() & (nareas - 1)). */
  areaOf(cpu: number): number {
    return cpu & (this.nareas - 1);
  }

  /** True when [pa, pa + size) lies in the pool (is_swiotlb_buffer). */
  isSwiotlbBuffer(pa: Hpa): boolean {
    return pa >= this.basePa && pa < this.basePa + this.nslabs * IO_TLB_SIZE;
  }

  /** swiotlb_search_pool_area(): first slot index of a free run, or -1. */
  private searchArea(area: number, nslots: number, stride: number): number {
    const start = area * this.areaNslabs;
    const n = this.areaNslabs;
    let local = Math.ceil(this.areaIndex[area]! / stride) * stride;
    for (let tried = 0; tried < n; tried += stride, local += stride) {
      if (local >= n) local = 0;
      const i = start + local;
      if (this.list[i]! >= nslots) return i;
    }
    return -1;
  }

  /** Marks nslots from `index` used and fixes the free counts of the free slots before them. */
  private takeSlots(area: number, index: number, nslots: number, allocSize: number, origPa: number): void {
    for (let i = index; i < index + nslots; i++) {
      this.list[i] = 0;
      this.origAddr[i] = origPa + (i - index) * IO_TLB_SIZE;
      this.allocSize[i] = allocSize - (i - index) * IO_TLB_SIZE;
    }
    let count = 0;
    for (let i = index - 1; i >= 0 && i % IO_TLB_SEGSIZE !== IO_TLB_SEGSIZE - 1 && this.list[i]! > 0; i--) {
      this.list[i] = ++count;
    }
    const local = index - area * this.areaNslabs + nslots;
    this.areaIndex[area] = local >= this.areaNslabs ? 0 : local;
    this.areaUsed[area] = this.areaUsed[area]! + nslots;
  }

  /**
   * swiotlb_tbl_map_single(): bounces [origPa, origPa + size) on CPU `cpu`; returns the bounce
   * buffer's physical address, or DMA_MAPPING_ERROR (as an Hpa, as the kernel casts it). `minAlignMask`: dma_get_min_align_mask() of the device;
   * `allocAlignMask`: alignment of the slot run (dma-iommu passes the IOVA granule mask).
   */
  mapSingle(cpu: number, origPa: Hpa, size: number, minAlignMask = 0, allocAlignMask = 0): Hpa {
    const offset = origPa & minAlignMask & (IO_TLB_SIZE - 1);
    const allocSize = size + offset;
    const nslots = Math.ceil(allocSize / IO_TLB_SIZE);
    // Page-aligned search for >= PAGE_SIZE, and at least the caller's alloc_align_mask.
    const stride = Math.max(allocSize >= 4096 ? 2 : 1, Math.ceil((allocAlignMask + 1) / IO_TLB_SIZE));
    let index = -1;
    let area = this.areaOf(cpu);
    if (nslots <= IO_TLB_SEGSIZE) {
      for (let k = 0; k < this.nareas && index < 0; k++) {
        area = (this.areaOf(cpu) + k) & (this.nareas - 1);
        index = this.searchArea(area, nslots, stride);
      }
    }
    if (index < 0) {
      this.mapsFailed++;
      this.log(`swiotlb buffer is full (sz: ${size} bytes), total ${this.nslabs} (slots), used ${this.used} (slots)`);
      return NO_SLOT;
    }
    this.takeSlots(area, index, nslots, allocSize, origPa - offset);
    const tlbAddr = (this.basePa + index * IO_TLB_SIZE + offset) as Hpa;
    this.bounce(tlbAddr, size, DMA_TO_DEVICE);
    return tlbAddr;
  }

  /** swiotlb_bounce(): copies between the original buffer and the slot; returns the bytes copied. */
  private bounce(tlbAddr: Hpa, size: number, dir: DmaDirection): number {
    const index = Math.floor((tlbAddr - this.basePa) / IO_TLB_SIZE);
    const orig = this.origAddr[index]! + ((tlbAddr - this.basePa) % IO_TLB_SIZE);
    if (dir === DMA_TO_DEVICE) this.mem.write(tlbAddr, this.mem.read(orig, size));
    else this.mem.write(orig, this.mem.read(tlbAddr, size));
    this.bytesBounced += size;
    return size;
  }

  /**
   * swiotlb_tbl_unmap_single(): copies back for FROM_DEVICE/BIDIRECTIONAL, frees the slots.
   * Returns the bytes copied (what the caller charges, DmaSim.chargeSwiotlb).
   */
  unmapSingle(tlbAddr: Hpa, size: number, dir: DmaDirection): number {
    const copied = this.syncForCpu(tlbAddr, size, dir);
    this.releaseSlots(Math.floor((tlbAddr - this.basePa) / IO_TLB_SIZE));
    return copied;
  }

  /** swiotlb_sync_single_for_cpu(): copies back for FROM_DEVICE/BIDIRECTIONAL; returns the bytes copied. */
  syncForCpu(tlbAddr: Hpa, size: number, dir: DmaDirection): number {
    this.checkedIndex(tlbAddr);
    return dir === DMA_FROM_DEVICE || dir === DMA_BIDIRECTIONAL ? this.bounce(tlbAddr, size, DMA_FROM_DEVICE) : 0;
  }

  /** swiotlb_sync_single_for_device(): copies out for TO_DEVICE/BIDIRECTIONAL; returns the bytes copied. */
  syncForDevice(tlbAddr: Hpa, size: number, dir: DmaDirection): number {
    this.checkedIndex(tlbAddr);
    return dir === DMA_TO_DEVICE || dir === DMA_BIDIRECTIONAL ? this.bounce(tlbAddr, size, DMA_TO_DEVICE) : 0;
  }

  private checkedIndex(tlbAddr: Hpa): number {
    const index = Math.floor((tlbAddr - this.basePa) / IO_TLB_SIZE);
    if (!this.isSwiotlbBuffer(tlbAddr) || this.origAddr[index]! < 0) {
      throw new CoreError('NOT_MAPPED', `0x${tlbAddr.toString(16)} is not a live swiotlb mapping`, { tlbAddr });
    }
    return index;
  }

  /** swiotlb_release_slots(): returns the run and merges it with free neighbours in its segment. */
  private releaseSlots(first: number): void {
    // The first slot's alloc_size covers the whole mapping; walk back over the offset slot.
    const nslots = Math.ceil(this.allocSize[first]! / IO_TLB_SIZE);
    const index = first;
    const segEnd = (Math.floor(index / IO_TLB_SEGSIZE) + 1) * IO_TLB_SEGSIZE;
    let count = index + nslots < segEnd ? this.list[index + nslots]! : 0;
    for (let i = index + nslots - 1; i >= index; i--) {
      this.list[i] = ++count;
      this.origAddr[i] = -1;
      this.allocSize[i] = 0;
    }
    for (let i = index - 1; i >= 0 && i % IO_TLB_SEGSIZE !== IO_TLB_SEGSIZE - 1 && this.list[i]! > 0; i--) {
      this.list[i] = ++count;
    }
    const area = Math.floor(index / this.areaNslabs);
    this.areaUsed[area] = this.areaUsed[area]! - nslots;
  }
}
