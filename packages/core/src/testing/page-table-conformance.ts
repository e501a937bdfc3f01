// SPDX-License-Identifier: Apache-2.0
// The page-table conformance suite (STYLE.md item 11), run once per format and width, after Linux
// drivers/iommu/generic_pt/kunit_generic_pt.h and kunit_iommu_pt.h. Call it from a test file:
//   runPageTableConformance('vtd-ss-48', () => vtdSecondStageFormat({ widthBits: 48, ... }));
// Expected values come from the spec's level arithmetic and the brute-force reference, never from
// the format under test (except where a test needs the format to write a raw entry).

import { describe, expect, it } from 'vitest';
import { isCoreError } from '../errors';
import { PhysMemory } from '../memory/phys-memory';
import {
  newWalkOut,
  type PageTableFormat,
  PERM_READ,
  PERM_RW,
  PERM_WRITE,
  WALK_BAD_POINTER,
  WALK_BEYOND_WIDTH,
  WALK_NOT_PRESENT,
  WALK_OK,
  WALK_PERMISSION,
} from '../page-table/format';
import { fmtIndexBits, fmtLevelShift, fmtTablePages, pageSizesLg2 } from '../page-table/level-math';
import { PageTable } from '../page-table/page-table';
import { newWalkPath, walk, walkFromLevel } from '../page-table/walk';
import { HW_PTE_WRITES, HW_TABLE_PAGES_ALLOCATED, HW_TABLE_PAGES_FREED, HwCounters } from '../stats/hw-counters';
import { runRandomPageTableOps } from './page-table-property';
import { ReferencePageTable } from './page-table-reference';

export interface ConformanceOptions {
  /** Random operations checked against the reference (default 10,000). */
  ops?: number;
  seed?: number;
}

/** Bytes of the format's granule: its smallest page and its table size (4 KiB for x86 formats). */
function granuleOf(fmt: PageTableFormat): number {
  return 2 ** fmt.granuleLg2;
}

function alignDown(x: number, a: number): number {
  return Math.floor(x / a) * a;
}

function expectCoreError(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isCoreError(caught) ? caught.code : caught).toBe(code);
}

/** Entries of the table at `tablePa`, in simulated memory as 4 KiB pages of 512 entries each. */
function entryPage(mem: PhysMemory, tablePa: number, idx: number): Uint32Array {
  return mem.words(tablePa / 4096 + Math.floor(idx / 512))!;
}

/** Non-zero 64-bit entries of a table of `entries` entries, read through PhysMemory's bigint path. */
function countEntries(mem: PhysMemory, tablePa: number, entries: number): number {
  let n = 0;
  for (let i = 0; i < entries; i++) if (mem.readU64(tablePa + 8 * i) !== 0n) n++;
  return n;
}

/**
 * Every non-empty entry of the level-`level` table at `tablePa` gives as entryOutputPfn() (the
 * walk's form, computed apart so that it returns no double) its entryOutputAddress() / 4096.
 */
function checkOutputPfns(fmt: PageTableFormat, mem: PhysMemory, tablePa: number, level: number): void {
  for (let i = 0; i < 2 ** fmtIndexBits(fmt, level); i++) {
    const e = mem.readU64(tablePa + 8 * i);
    if (e === 0n) continue;
    const lo = Number(e & 0xffff_ffffn); // as the walk reads it from a Uint32Array
    const hi = Number(e >> 32n);
    expect(fmt.entryOutputPfn(lo, hi, level) * 4096).toBe(fmt.entryOutputAddress(lo, hi, level));
  }
}

/** 4 KiB memory pages a table with `tables` tables occupies: tables of one granule, the root apart. */
function memoryPagesOf(fmt: PageTableFormat, tables: number): number {
  return (tables - 1) * 2 ** (fmt.granuleLg2 - 12) + fmtTablePages(fmt, fmt.levels);
}

function setupTable(makeFormat: () => PageTableFormat) {
  const fmt = makeFormat();
  const mem = new PhysMemory();
  const counters = new HwCounters();
  return { fmt, mem, counters, pt: new PageTable(mem, fmt, counters), sizes: pageSizesLg2(fmt), G: granuleOf(fmt) };
}

/** One past the largest iova the format and the model can express. */
function limitOf(fmt: PageTableFormat): number {
  return 2 ** Math.min(fmt.inputWidth, 53);
}

function checkDescription(makeFormat: () => PageTableFormat): void {
  const { fmt, sizes } = setupTable(makeFormat);
  const g = fmt.granuleLg2;
  const stride = g - 3;
  expect([12, 14, 16]).toContain(g);
  expect(fmt.spec.length).toBeGreaterThan(0);
  expect(fmt.inputWidth).toBeGreaterThan(g + stride * (fmt.levels - 1));
  // The root holds at most one granule of entries, or 16 concatenated granules (Arm stage 2).
  expect(fmt.inputWidth).toBeLessThanOrEqual(Math.min(64, g + stride * fmt.levels + 4));
  expect(sizes[0]).toBe(g);
  for (const s of sizes) expect(s).toBeLessThan(Math.min(fmt.inputWidth, 53));
}

function checkSinglePage(makeFormat: () => PageTableFormat): void {
  const { fmt, mem, pt, G } = setupTable(makeFormat);
  const iova = limitOf(fmt) - 3 * G; // near the top: every index is non-zero
  const pa = alignDown(0x1234_5000, G);
  pt.map(iova, pa, G, PERM_RW);
  expect(pt.iovaToPhys(iova + 0x123)).toBe(pa + 0x123);
  const out = newWalkOut();
  walk(mem, fmt, pt.rootPa, iova + 0x123, PERM_RW, out);
  expect(out).toEqual({
    status: WALK_OK,
    pa: pa + 0x123,
    sizeLg2: fmt.granuleLg2,
    perm: PERM_RW,
    levelsRead: fmt.levels,
    level: 1,
  });
  expect(pt.tablePages).toBe(fmt.levels);
  expect(mem.tablePagesInUse).toBe(memoryPagesOf(fmt, fmt.levels));
  expect(pt.unmap(iova, G)).toBe(G);
  expect(pt.lastFreedTablePages).toBe(fmt.levels - 1);
  expect(pt.iovaToPhys(iova)).toBe(-1);
  expect(pt.tablePages).toBe(1);
  expect(mem.tablePagesInUse).toBe(memoryPagesOf(fmt, 1));
}

function checkEveryPageSize(makeFormat: () => PageTableFormat): void {
  const { fmt, mem, pt, sizes, G } = setupTable(makeFormat);
  const g = fmt.granuleLg2;
  for (const s of sizes) {
    const size = 2 ** s;
    const iova = 2 * size <= limitOf(fmt) ? size : 0;
    pt.map(iova, size, size, PERM_READ);
    expect([...pt.leaves()]).toEqual([
      { iova, pa: size, sizeLg2: s, perm: PERM_READ, level: ReferencePageTable.levelOf(s, g) },
    ]);
    const out = newWalkOut();
    const path = newWalkPath();
    walk(mem, fmt, pt.rootPa, iova + size - 8, PERM_READ, out, path);
    expect(out.status).toBe(WALK_OK);
    expect(out.pa).toBe(2 * size - 8);
    expect(out.sizeLg2).toBe(s);
    expect(out.levelsRead).toBe(fmt.levels - ReferencePageTable.levelOf(s, g) + 1);
    const entries = 2 ** fmtIndexBits(fmt, out.level);
    expect(countEntries(mem, path.tablePa[out.level]!, entries)).toBe(2 ** ((s - g) % (g - 3)));
    for (let level = fmt.levels; level >= out.level; level--) checkOutputPfns(fmt, mem, path.tablePa[level]!, level);
    expect(pt.unmap(iova, G)).toBe(size); // part of a leaf unmaps all of it
    expect(pt.tablePages).toBe(1);
  }
}

function checkSplit(makeFormat: () => PageTableFormat): void {
  const { fmt, pt, sizes, G } = setupTable(makeFormat);
  const ref = new ReferencePageTable(sizes, fmt.levels, fmt.granuleLg2);
  const big = sizes.find((s) => s > fmt.granuleLg2 && 2 ** (s + 2) <= limitOf(fmt)) ?? fmt.granuleLg2;
  const iova = 2 ** (big + 1) - 2 * G;
  const length = 2 ** big + 4 * G;
  pt.map(iova, iova, length, PERM_RW);
  expect(ref.map(iova, iova, length, PERM_RW)).toBe(true);
  const got = [...pt.leaves()].map(({ iova, pa, sizeLg2, perm }) => ({ iova, pa, sizeLg2, perm }));
  expect(got).toEqual(ref.sorted());
  expect(got.some((l) => l.sizeLg2 === big)).toBe(true);
  expect(pt.tablePages).toBe(ref.expectedTablePages());
}

function checkOverlap(makeFormat: () => PageTableFormat): void {
  const { fmt, pt, sizes, G } = setupTable(makeFormat);
  pt.map(0x10_0000, 0x20_0000, G, PERM_RW);
  const before = [...pt.leaves()];
  const pages = pt.tablePages;
  expectCoreError(() => pt.map(0x10_0000 - 2 * G, 0x40_0000, 4 * G, PERM_RW), 'ALREADY_MAPPED');
  expect([...pt.leaves()]).toEqual(before);
  expect(pt.tablePages).toBe(pages);
  const big = sizes.find((s) => s > fmt.granuleLg2 && s <= 30);
  if (big !== undefined) {
    const base = alignDown(0x10_0000, 2 ** big);
    expectCoreError(() => pt.map(base, 0, 2 ** big, PERM_RW), 'ALREADY_MAPPED'); // a small page inside
    const other = base + 2 ** big;
    pt.map(other, 0, 2 ** big, PERM_RW);
    expectCoreError(() => pt.map(other + G, 0, G, PERM_RW), 'ALREADY_MAPPED'); // inside a leaf
  }
}

function checkUnmapStops(makeFormat: () => PageTableFormat): void {
  const { fmt, pt, sizes, G } = setupTable(makeFormat);
  const p = 16 * G;
  pt.map(p, 0x1000_0000, 2 * G, PERM_RW);
  pt.map(p + 3 * G, 0x1000_0000 + 3 * G, G, PERM_RW);
  expect(pt.unmap(p, 4 * G)).toBe(2 * G);
  expect(pt.iovaToPhys(p + 3 * G)).toBe(0x1000_0000 + 3 * G);
  expect(pt.unmap(p, G)).toBe(0);
  const big = sizes.find((s) => s > fmt.granuleLg2 && s <= 30);
  if (big !== undefined) {
    const at = 2 ** (big + 1);
    pt.map(at, 0, 2 ** big, PERM_RW);
    expect(pt.unmap(at + G, G)).toBe(0);
    expect(pt.iovaToPhys(at + G)).toBe(G);
  }
}

function checkWalkFaults(makeFormat: () => PageTableFormat): void {
  const { fmt, mem, pt, G } = setupTable(makeFormat);
  const out = newWalkOut();
  if (limitOf(fmt) < 2 ** 53) {
    walk(mem, fmt, pt.rootPa, limitOf(fmt), 0, out);
    expect([out.status, out.levelsRead]).toEqual([WALK_BEYOND_WIDTH, 0]);
  }
  walk(mem, fmt, pt.rootPa, 5 * G, PERM_READ, out);
  expect([out.status, out.level, out.levelsRead]).toEqual([WALK_NOT_PRESENT, fmt.levels, 1]);
  pt.map(5 * G, 9 * G, G, PERM_READ);
  walk(mem, fmt, pt.rootPa, 5 * G, PERM_WRITE, out);
  expect([out.status, out.perm]).toEqual([WALK_PERMISSION, PERM_READ]);
  walk(mem, fmt, pt.rootPa, 5 * G + 8, PERM_READ, out);
  expect([out.status, out.pa]).toEqual([WALK_OK, 9 * G + 8]);
  if (fmt.levels > 1) {
    const high = limitOf(fmt) - G; // a root slot of its own: point it at memory never written
    const idx = Math.floor(high / 2 ** fmtLevelShift(fmt, fmt.levels)) % 2 ** fmtIndexBits(fmt, fmt.levels);
    fmt.writeTable(entryPage(mem, pt.rootPa, idx), idx % 512, 0x7_0000_0000, fmt.levels);
    walk(mem, fmt, pt.rootPa, high, PERM_READ, out);
    expect([out.status, out.level]).toEqual([WALK_BAD_POINTER, fmt.levels - 1]);
  }
}

function checkWalkFromLevel(makeFormat: () => PageTableFormat): void {
  const { fmt, mem, pt, G } = setupTable(makeFormat);
  const iova = limitOf(fmt) / 2 + 7 * G;
  pt.map(iova, alignDown(0xabc_d000, G), G, PERM_READ);
  const full = newWalkOut();
  const path = newWalkPath();
  walk(mem, fmt, pt.rootPa, iova + 4, PERM_READ, full, path);
  for (let level = fmt.levels; level >= 1; level--) {
    const out = newWalkOut();
    walkFromLevel(mem, fmt, path.tablePa[level]!, level, iova + 4, PERM_READ, path.perm[level]!, out);
    expect(out).toEqual({ ...full, levelsRead: level });
  }
}

function checkCounters(makeFormat: () => PageTableFormat): void {
  const { fmt, mem, pt, counters, G } = setupTable(makeFormat);
  const c = counters.c;
  expect(c[HW_TABLE_PAGES_ALLOCATED]).toBe(1); // the root
  pt.map(0x10_0000, 0x30_0000, G, PERM_RW);
  expect([c[HW_TABLE_PAGES_ALLOCATED], c[HW_PTE_WRITES]]).toEqual([fmt.levels, fmt.levels]);
  pt.unmap(0x10_0000, G);
  expect([c[HW_TABLE_PAGES_FREED], c[HW_PTE_WRITES]]).toEqual([fmt.levels - 1, 2 * fmt.levels]);
  pt.map(0x10_0000, 0x30_0000, 3 * G, PERM_RW);
  pt.destroy();
  expect(mem.tablePagesInUse).toBe(0);
  expect(c[HW_TABLE_PAGES_FREED]).toBe(c[HW_TABLE_PAGES_ALLOCATED]);
  expectCoreError(() => pt.iovaToPhys(0), 'INVALID_STATE');
}

function checkArguments(makeFormat: () => PageTableFormat): void {
  const { fmt, pt, G } = setupTable(makeFormat);
  expectCoreError(() => pt.map(0x800, 0, G, PERM_RW), 'INVALID_ARGUMENT');
  expectCoreError(() => pt.map(0, 0x800, G, PERM_RW), 'INVALID_ARGUMENT');
  expectCoreError(() => pt.map(0, 0, 0, PERM_RW), 'INVALID_ARGUMENT');
  expectCoreError(() => pt.map(0, 0, G, 0), 'INVALID_ARGUMENT');
  expectCoreError(() => pt.unmap(0, 100), 'INVALID_ARGUMENT');
  if (G > 4096) {
    // Below the granule: Linux iommu_map() refuses sizes and addresses under the smallest page.
    expectCoreError(() => pt.map(4096, 4096, G, PERM_RW), 'INVALID_ARGUMENT');
    expectCoreError(() => pt.map(0, 4096, G, PERM_RW), 'INVALID_ARGUMENT');
    expectCoreError(() => pt.map(0, 0, 4096, PERM_RW), 'INVALID_ARGUMENT');
  }
  if (limitOf(fmt) < 2 ** 53) expectCoreError(() => pt.map(limitOf(fmt), 0, G, PERM_RW), 'OUT_OF_RANGE');
}

function checkRandomOps(makeFormat: () => PageTableFormat, opts: ConformanceOptions): void {
  const stats = runRandomPageTableOps(makeFormat(), { ops: opts.ops ?? 10_000, seed: opts.seed ?? 0x10f1ee7 });
  // The run must have exercised every path, or it proves nothing.
  expect(stats.maps).toBeGreaterThan(1000);
  expect(stats.refusedMaps).toBeGreaterThan(0);
  expect(stats.bytesUnmapped).toBeGreaterThan(0);
  expect(stats.hits).toBeGreaterThan(500);
  expect(stats.permissionFaults).toBeGreaterThan(0);
}

export function runPageTableConformance(
  name: string,
  makeFormat: () => PageTableFormat,
  opts: ConformanceOptions = {},
): void {
  describe(`page-table conformance: ${name}`, () => {
    it('describes itself consistently', () => checkDescription(makeFormat));
    it('maps, translates and unmaps one granule page, freeing its tables', () => checkSinglePage(makeFormat));
    it('maps every supported page size as one leaf of 2^((size-g) mod (g-3)) entries, output page numbers as addresses', () =>
      checkEveryPageSize(makeFormat));
    it('splits a range by alignment, largest page first, as iommu_pgsize() does', () => checkSplit(makeFormat));
    it('refuses overlapping maps with ALREADY_MAPPED and leaves the table as it was', () => checkOverlap(makeFormat));
    it('unmap stops at a hole and at an address inside a leaf', () => checkUnmapStops(makeFormat));
    it('reports walk faults as values: beyond width, not present, permission, bad pointer', () =>
      checkWalkFaults(makeFormat));
    it('walkFromLevel resumes at any table the full walk recorded', () => checkWalkFromLevel(makeFormat));
    it('counts PTE writes and table pages in HwCounters, and destroy() returns all memory', () =>
      checkCounters(makeFormat));
    it('rejects misaligned, empty, out-of-range and permission-less requests', () => checkArguments(makeFormat));
    it(`agrees with a brute-force reference over ${opts.ops ?? 10_000} random operations`, () =>
      checkRandomOps(makeFormat, opts));
  });
}
