// SPDX-License-Identifier: Apache-2.0
// Simulated host physical memory: sparse and page-granular, backed by typed arrays.
//
// Two kinds of pages:
//  - *table pages* (page tables, root/context/PASID tables, device tables, command/event rings)
//    come from a dense pool so the hot path reaches them with one array index, and so the memory
//    a page table costs is counted exactly (tablePagesInUse, peakTablePages);
//  - *data pages* (DMA buffers, guest RAM, bounce pool) are created lazily on first write and
//    read as zero before that, so a 1 TiB guest costs only the pages actually touched.
// All multi-byte accesses are little-endian, as on x86.

import { CoreError } from '../errors';

export const PAGE_WORDS = 1024; // 4 KiB / 4 bytes

/**
 * Default cap on table pages per memory (STYLE.md item 16): 1 Mi pages = 4 GiB of page tables,
 * far beyond any realistic host (a fully mapped 1 TiB 4 KiB-page domain needs ~0.5 Mi pages),
 * so hitting it means runaway input, which becomes a typed error instead of an out-of-memory crash.
 */
export const DEFAULT_MAX_TABLE_PAGES = 1 << 20;

/** Default cap on lazily materialised data pages: 4 Mi pages = 16 GiB actually touched. */
export const DEFAULT_MAX_DATA_PAGES = 1 << 22;

/**
 * Table pages live in chunks of CHUNK_PAGES consecutive pool pages, each chunk one Uint32Array
 * allocated when its first page is: a walk then reaches any table entry with two array indexes
 * (chunk, word) into a handful of hot objects instead of one typed array per page (issue #19).
 * 64 pages = 256 KiB: the most a memory that uses one table page carries.
 */
export const CHUNK_PAGES_LG2 = 6;
export const CHUNK_PAGES = 1 << CHUNK_PAGES_LG2;

/** Largest table block: 16 concatenated 64 KiB tables (an Arm stage-2 root), in 4 KiB pages. */
export const MAX_BLOCK_PAGES = 256;

export interface PhysMemoryOptions {
  /** First page frame number of the table pool (default 0x10000 = 256 MiB). */
  tablePoolBasePfn?: number;
  maxTablePages?: number;
  maxDataPages?: number;
}

export class PhysMemory {
  readonly tablePoolBasePfn: number;
  readonly maxTablePages: number;
  readonly maxDataPages: number;
  /** Dense pool: index = pfn - tablePoolBasePfn; each page a view into its chunk. */
  private readonly pool: Uint32Array[] = [];
  /**
   * Hot path (walks): the chunks of the pool; pool page i is words [(i & (CHUNK_PAGES - 1)) * 1024,
   * + 1024) of chunks[i >>> CHUNK_PAGES_LG2]. Pages at index >= poolPages are not allocated.
   */
  readonly chunks: Uint32Array[] = [];
  private readonly freeList: number[] = [];
  /** Freed multi-page blocks by size in pages: first pool index of each. */
  private readonly freeBlocks = new Map<number, number[]>();
  private readonly data = new Map<number, Uint32Array>();
  private inUse = 0;
  private peak = 0;

  constructor(opts: PhysMemoryOptions = {}) {
    this.tablePoolBasePfn = opts.tablePoolBasePfn ?? 0x10000;
    this.maxTablePages = opts.maxTablePages ?? DEFAULT_MAX_TABLE_PAGES;
    this.maxDataPages = opts.maxDataPages ?? DEFAULT_MAX_DATA_PAGES;
  }

  /** Pages of the pool ever allocated (free or in use): valid pool indexes are below it. */
  get poolPages(): number {
    return this.pool.length;
  }

  /** Appends a zeroed page to the pool, as a view into the current chunk (a new chunk when full). */
  private pushPoolPage(): void {
    const i = this.pool.length;
    const c = i >>> CHUNK_PAGES_LG2;
    if (c === this.chunks.length) this.chunks.push(new Uint32Array(CHUNK_PAGES * PAGE_WORDS));
    const off = (i & (CHUNK_PAGES - 1)) * PAGE_WORDS;
    this.pool.push(this.chunks[c]!.subarray(off, off + PAGE_WORDS));
  }

  /** Allocates a zeroed 4 KiB table page; returns its physical address. */
  allocTablePage(): number {
    let idx = this.freeList.pop();
    if (idx === undefined) {
      if (this.pool.length >= this.maxTablePages) {
        throw new CoreError('LIMIT_EXCEEDED', `page-table memory exhausted: ${this.maxTablePages} table pages in use`, {
          maxTablePages: this.maxTablePages,
        });
      }
      idx = this.pool.length;
      this.pushPoolPage();
    } else {
      this.pool[idx]!.fill(0);
    }
    this.inUse++;
    if (this.inUse > this.peak) this.peak = this.inUse;
    return (this.tablePoolBasePfn + idx) * 4096;
  }

  /** Allocates 2^order physically contiguous zeroed table pages (e.g. an 8 KiB command buffer). */
  allocTablePages(order: number): number {
    const n = 1 << order;
    if (this.pool.length + n > this.maxTablePages) {
      throw new CoreError('LIMIT_EXCEEDED', `page-table memory exhausted allocating ${n} contiguous pages`, {
        maxTablePages: this.maxTablePages,
      });
    }
    // Contiguity: take fresh pages from the end of the pool (the free list is not contiguous).
    const first = this.pool.length;
    for (let i = 0; i < n; i++) this.pushPoolPage();
    this.inUse += n;
    if (this.inUse > this.peak) this.peak = this.inUse;
    return (this.tablePoolBasePfn + first) * 4096;
  }

  /**
   * Allocates `pages` (a power of two) physically contiguous zeroed table pages aligned to their
   * size, for tables bigger than 4 KiB (Arm 16/64 KiB granules, stage-2 concatenated roots); the
   * hardware needs a table aligned to its size. Freed blocks (freeTableBlock) are reused for
   * blocks of the same size only, so table memory stays bounded under map/unmap churn.
   */
  allocTableBlock(pages: number): number {
    if (pages === 1) return this.allocTablePage();
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0 || pages > MAX_BLOCK_PAGES) {
      throw new CoreError(
        'INVALID_ARGUMENT',
        `a table block of ${pages} pages is not a power of two up to ${MAX_BLOCK_PAGES}`,
        {
          pages,
        },
      );
    }
    let first = this.freeBlocks.get(pages)?.pop();
    if (first !== undefined) {
      for (let i = 0; i < pages; i++) this.pool[first + i]!.fill(0);
    } else {
      const aligned = Math.ceil(this.pool.length / pages) * pages;
      if (aligned + pages > this.maxTablePages) {
        throw new CoreError('LIMIT_EXCEEDED', `page-table memory exhausted allocating a ${pages}-page table block`, {
          maxTablePages: this.maxTablePages,
        });
      }
      // Pages skipped to align the block become ordinary free table pages, lowest handed out first.
      const skipped: number[] = [];
      while (this.pool.length < aligned) {
        skipped.push(this.pool.length);
        this.pushPoolPage();
      }
      for (let i = skipped.length - 1; i >= 0; i--) this.freeList.push(skipped[i]!);
      first = this.pool.length;
      for (let i = 0; i < pages; i++) this.pushPoolPage();
    }
    this.inUse += pages;
    if (this.inUse > this.peak) this.peak = this.inUse;
    return (this.tablePoolBasePfn + first) * 4096;
  }

  /** Returns a block from allocTableBlock(pages). */
  freeTableBlock(pa: number, pages: number): void {
    if (pages === 1) {
      this.freeTablePage(pa);
      return;
    }
    const idx = Math.floor(pa / 4096) - this.tablePoolBasePfn;
    if (idx < 0 || idx + pages > this.pool.length || pa % (4096 * pages) !== 0) {
      throw new CoreError('INVALID_ARGUMENT', `0x${pa.toString(16)} is not a ${pages}-page table block`, { pa, pages });
    }
    let list = this.freeBlocks.get(pages);
    if (list === undefined) {
      list = [];
      this.freeBlocks.set(pages, list);
    }
    list.push(idx);
    this.inUse -= pages;
  }

  freeTablePage(pa: number): void {
    const idx = Math.floor(pa / 4096) - this.tablePoolBasePfn;
    if (idx < 0 || idx >= this.pool.length || pa % 4096 !== 0) {
      throw new CoreError('INVALID_ARGUMENT', `0x${pa.toString(16)} is not a table page`, { pa });
    }
    this.freeList.push(idx);
    this.inUse--;
  }

  get tablePagesInUse(): number {
    return this.inUse;
  }
  get peakTablePages(): number {
    return this.peak;
  }
  get tableBytesInUse(): number {
    return this.inUse * 4096;
  }
  get dataPagesTouched(): number {
    return this.data.size;
  }

  /**
   * Hot path: the 1024 32-bit words of page frame `pfn` if it is a table page or a touched data
   * page, otherwise undefined (memory that reads as zero). Does not allocate.
   */
  words(pfn: number): Uint32Array | undefined {
    const idx = pfn - this.tablePoolBasePfn;
    if (idx >= 0 && idx < this.pool.length) return this.pool[idx];
    return this.data.get(pfn);
  }

  /** Words of page `pfn`, materialising a data page on first use. */
  private wordsForWrite(pfn: number): Uint32Array {
    const w = this.words(pfn);
    if (w) return w;
    if (this.data.size >= this.maxDataPages) {
      throw new CoreError('LIMIT_EXCEEDED', `simulated data memory exhausted: ${this.maxDataPages} pages touched`, {
        maxDataPages: this.maxDataPages,
      });
    }
    const page = new Uint32Array(PAGE_WORDS);
    this.data.set(pfn, page);
    return page;
  }

  /** 32-bit little-endian read at a 4-byte-aligned physical address. */
  readU32(pa: number): number {
    const w = this.words(Math.floor(pa / 4096));
    return w ? w[(pa & 0xfff) >>> 2]! : 0;
  }

  writeU32(pa: number, value: number): void {
    this.wordsForWrite(Math.floor(pa / 4096))[(pa & 0xfff) >>> 2] = value >>> 0;
  }

  /** 64-bit read at an 8-byte-aligned address, as a bigint (low-volume paths). */
  readU64(pa: number): bigint {
    return (BigInt(this.readU32(pa + 4)) << 32n) | BigInt(this.readU32(pa));
  }

  writeU64(pa: number, value: bigint): void {
    this.writeU32(pa, Number(value & 0xffffffffn));
    this.writeU32(pa + 4, Number((value >> 32n) & 0xffffffffn));
  }

  /**
   * A structure of `bytes` (a multiple of 8: 16-byte descriptors and context entries, 32-byte DTEs,
   * 64-byte STEs and PASID entries) at an 8-byte-aligned address, as one little-endian bigint whose
   * bit n is the spec's bit n (low-volume paths: the field tables read it with getField()).
   */
  readWide(pa: number, bytes: number): bigint {
    let v = 0n;
    for (let q = bytes / 8 - 1; q >= 0; q--) v = (v << 64n) | this.readU64(pa + 8 * q);
    return v;
  }

  /** Writes `bytes` (a multiple of 8) of `value` at `pa`, little-endian: the inverse of readWide(). */
  writeWide(pa: number, bytes: number, value: bigint): void {
    for (let q = 0; q < bytes / 8; q++) this.writeU64(pa + 8 * q, (value >> BigInt(64 * q)) & 0xffff_ffff_ffff_ffffn);
  }

  /** Copies bytes out of simulated memory (any alignment). */
  read(pa: number, lengthBytes: number, out = new Uint8Array(lengthBytes)): Uint8Array {
    for (let done = 0; done < lengthBytes; ) {
      const addr = pa + done;
      const off = addr & 0xfff;
      const n = Math.min(4096 - off, lengthBytes - done);
      const w = this.words(Math.floor(addr / 4096));
      if (w) out.set(new Uint8Array(w.buffer, w.byteOffset + off, n), done);
      else out.fill(0, done, done + n);
      done += n;
    }
    return out;
  }

  /** Copies bytes into simulated memory (any alignment). */
  write(pa: number, bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length; ) {
      const addr = pa + done;
      const off = addr & 0xfff;
      const n = Math.min(4096 - off, bytes.length - done);
      const w = this.wordsForWrite(Math.floor(addr / 4096));
      new Uint8Array(w.buffer, w.byteOffset + off, n).set(bytes.subarray(done, done + n));
      done += n;
    }
  }
}
