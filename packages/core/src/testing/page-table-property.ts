// SPDX-License-Identifier: Apache-2.0
// Random map/unmap/translate operations checked against the brute-force reference, with a fixed
// seed so a failure replays. Throws an Error naming the seed, the operation number and what
// differed; returns counts so a test can check the run exercised every path.

import { mulberry32 } from '@iofleet/prng';
import { isCoreError } from '../errors';
import { PhysMemory } from '../memory/phys-memory';
import {
  newWalkOut,
  type PageTableFormat,
  PERM_READ,
  PERM_RW,
  PERM_WRITE,
  WALK_BEYOND_WIDTH,
  WALK_NOT_PRESENT,
  WALK_OK,
  WALK_PERMISSION,
} from '../page-table/format';
import { fmtTablePages, pageSizesLg2 } from '../page-table/level-math';
import { PageTable } from '../page-table/page-table';
import { walk } from '../page-table/walk';
import { ReferencePageTable } from './page-table-reference';

export interface RandomOpsOptions {
  ops: number;
  seed: number;
  /** Compare every leaf and the table-page count each `fullCheckEvery` operations. */
  fullCheckEvery?: number;
}

export interface RandomOpsStats {
  maps: number;
  refusedMaps: number;
  unmaps: number;
  bytesUnmapped: number;
  translations: number;
  hits: number;
  permissionFaults: number;
  largestLeafLg2: number;
}

interface Ctx {
  fmt: PageTableFormat;
  mem: PhysMemory;
  pt: PageTable;
  ref: ReferencePageTable;
  rnd: () => number;
  regions: number[];
  regionLg2: number;
  bigSizes: number[];
  limit: number;
  /** The granule: smallest page and table size, bytes and log2 (4 KiB / 12 for x86 formats). */
  G: number;
  g: number;
  stats: RandomOpsStats;
  fail: (what: string) => never;
}

const int = (rnd: () => number, n: number) => Math.floor(rnd() * n);

/** 4 KiB memory pages of a table with `tables` tables: one granule each, the root apart. */
function memoryPages(fmt: PageTableFormat, tables: number): number {
  return (tables - 1) * 2 ** (fmt.granuleLg2 - 12) + fmtTablePages(fmt, fmt.levels);
}

export function runRandomPageTableOps(fmt: PageTableFormat, opts: RandomOpsOptions): RandomOpsStats {
  const sizes = pageSizesLg2(fmt);
  const topLg2 = Math.min(fmt.inputWidth, 52);
  const regionLg2 = Math.min(topLg2 - 1, 32);
  const mem = new PhysMemory();
  const stats: RandomOpsStats = {
    maps: 0,
    refusedMaps: 0,
    unmaps: 0,
    bytesUnmapped: 0,
    translations: 0,
    hits: 0,
    permissionFaults: 0,
    largestLeafLg2: 0,
  };
  let op = 0;
  const c: Ctx = {
    fmt,
    mem,
    pt: new PageTable(mem, fmt),
    ref: new ReferencePageTable(sizes, fmt.levels, fmt.granuleLg2),
    rnd: mulberry32(opts.seed),
    regions: [0, 2 ** topLg2 - 2 ** regionLg2],
    regionLg2,
    bigSizes: sizes.filter((s) => s > fmt.granuleLg2 && s <= regionLg2 - 2),
    limit: 2 ** Math.min(fmt.inputWidth, 53),
    G: 2 ** fmt.granuleLg2,
    g: fmt.granuleLg2,
    stats,
    fail: (what: string): never => {
      throw new Error(`${fmt.name} seed ${opts.seed} op ${op}: ${what}`);
    },
  };
  const every = opts.fullCheckEvery ?? 500;
  for (op = 0; op < opts.ops; op++) {
    const r = c.rnd();
    if (r < 0.35) randomMap(c);
    else if (r < 0.6) randomUnmap(c);
    else randomTranslate(c);
    if (op % every === every - 1) fullCheck(c);
    if (op % 2500 === 2499) unmapEverything(c);
  }
  fullCheck(c);
  unmapEverything(c);
  if (c.pt.tablePages !== 1 || mem.tablePagesInUse !== memoryPages(fmt, 1))
    c.fail(`empty table holds ${c.pt.tablePages} pages`);
  c.pt.destroy();
  const leftAfterDestroy: number = mem.tablePagesInUse;
  if (leftAfterDestroy !== 0) c.fail(`destroy left ${leftAfterDestroy} pages`);
  return stats;
}

function randomMap(c: Ctx): void {
  const { rnd } = c;
  const region = c.regions[int(rnd, 2)]!;
  const big = c.bigSizes.length > 0 && rnd() < 0.25;
  const s = big ? c.bigSizes[int(rnd, c.bigSizes.length)]! : c.g;
  const count = big ? 1 + int(rnd, 2) : 1 + int(rnd, 8);
  const extra = rnd() < 0.2 ? c.G * (1 + int(rnd, 3)) : 0;
  const lengthBytes = count * 2 ** s + extra;
  const windowLg2 = Math.min(c.regionLg2, Math.max(s + 4, 24));
  const slots = Math.floor((2 ** windowLg2 - lengthBytes) / 2 ** s);
  const iova = region + int(rnd, slots + 1) * 2 ** s;
  let pa = int(rnd, 2 ** Math.max(0, 44 - s)) * 2 ** s;
  // A misaligned pa: the split must fall back to the granule.
  if (s > c.g && s <= c.g + (c.g - 3) && rnd() < 0.1) pa += c.G;
  const perm = rnd() < 0.5 ? PERM_READ : PERM_RW;
  const expectOk = c.ref.map(iova, pa, lengthBytes, perm);
  let ok = true;
  try {
    c.pt.map(iova, pa, lengthBytes, perm);
  } catch (e) {
    if (!isCoreError(e) || e.code !== 'ALREADY_MAPPED') throw e;
    ok = false;
  }
  if (ok !== expectOk)
    c.fail(`map 0x${iova.toString(16)}+0x${lengthBytes.toString(16)}: ok=${ok}, reference ${expectOk}`);
  c.stats.maps++;
  if (!ok) c.stats.refusedMaps++;
}

function randomUnmap(c: Ctx): void {
  const { rnd, ref } = c;
  let iova: number;
  let lengthBytes: number;
  if (ref.leaves.size > 0 && rnd() < 0.7) {
    const leaves = [...ref.leaves.values()];
    const leaf = leaves[int(rnd, leaves.length)]!;
    const size = 2 ** leaf.sizeLg2;
    const v = rnd();
    iova = leaf.iova;
    if (v < 0.3) lengthBytes = size;
    else if (v < 0.5)
      lengthBytes = c.G; // part of a large leaf: the whole leaf goes
    else if (v < 0.65 && size > c.G) {
      iova = leaf.iova + c.G; // inside a leaf: nothing is removed
      lengthBytes = c.G;
    } else lengthBytes = Math.min((1 + int(rnd, 4)) * size, c.limit - iova);
  } else {
    const region = c.regions[int(rnd, 2)]!;
    iova = region + int(rnd, 2 ** (Math.min(c.regionLg2, 24) - c.g) - 8) * c.G;
    lengthBytes = c.G * (1 + int(rnd, 8));
  }
  const expected = ref.unmap(iova, lengthBytes);
  const got = c.pt.unmap(iova, lengthBytes);
  if (got !== expected)
    c.fail(`unmap 0x${iova.toString(16)}+0x${lengthBytes.toString(16)} returned ${got}, reference ${expected}`);
  c.stats.unmaps++;
  c.stats.bytesUnmapped += got;
}

function randomTranslate(c: Ctx): void {
  const { rnd, ref } = c;
  let iova: number;
  if (ref.leaves.size > 0 && rnd() < 0.6) {
    const leaves = [...ref.leaves.values()];
    const leaf = leaves[int(rnd, leaves.length)]!;
    iova = leaf.iova + int(rnd, 2 ** leaf.sizeLg2);
  } else if (c.limit < 2 ** 53 && rnd() < 0.05) {
    iova = c.limit + int(rnd, c.G); // beyond the input width
  } else {
    iova = c.regions[int(rnd, 2)]! + int(rnd, 2 ** Math.min(c.regionLg2, 24));
  }
  const access = [0, PERM_READ, PERM_WRITE, PERM_RW][int(rnd, 4)]!;
  const out = newWalkOut();
  walk(c.mem, c.fmt, c.pt.rootPa, iova, access, out);
  const phys = c.pt.iovaToPhys(iova);
  const leaf = iova < c.limit ? ref.find(iova) : undefined;
  c.stats.translations++;
  const at = `translate 0x${iova.toString(16)}`;
  if (leaf === undefined) {
    const want = iova >= c.limit ? WALK_BEYOND_WIDTH : WALK_NOT_PRESENT;
    if (out.status !== want || phys !== -1) c.fail(`${at}: status ${out.status} phys ${phys}, reference unmapped`);
    return;
  }
  const pa = leaf.pa + (iova - leaf.iova);
  const want = (access & ~leaf.perm) === 0 ? WALK_OK : WALK_PERMISSION;
  const levelsRead = c.fmt.levels - ReferencePageTable.levelOf(leaf.sizeLg2, c.g) + 1;
  if (out.status !== want || out.pa !== pa || out.sizeLg2 !== leaf.sizeLg2 || out.perm !== leaf.perm) {
    c.fail(`${at}: got ${JSON.stringify(out)}, reference ${JSON.stringify({ ...leaf, pa, want })}`);
  }
  if (out.levelsRead !== levelsRead || phys !== pa) c.fail(`${at}: levelsRead ${out.levelsRead} phys ${phys}`);
  c.stats.hits++;
  if (want === WALK_PERMISSION) c.stats.permissionFaults++;
  c.stats.largestLeafLg2 = Math.max(c.stats.largestLeafLg2, leaf.sizeLg2);
}

function fullCheck(c: Ctx): void {
  const got = [...c.pt.leaves()].map(({ iova, pa, sizeLg2, perm }) => ({ iova, pa, sizeLg2, perm }));
  const want = c.ref.sorted();
  if (JSON.stringify(got) !== JSON.stringify(want)) c.fail(`leaves differ: ${got.length} vs reference ${want.length}`);
  const pages = c.ref.expectedTablePages();
  if (c.pt.tablePages !== pages || c.mem.tablePagesInUse !== memoryPages(c.fmt, pages)) {
    c.fail(`table pages ${c.pt.tablePages} (memory ${c.mem.tablePagesInUse}), reference ${pages}`);
  }
}

function unmapEverything(c: Ctx): void {
  for (const leaf of c.ref.sorted()) {
    const got = c.pt.unmap(leaf.iova, 2 ** leaf.sizeLg2);
    if (got !== 2 ** leaf.sizeLg2) c.fail(`unmap of leaf 0x${leaf.iova.toString(16)} returned ${got}`);
    c.ref.leaves.delete(leaf.iova);
  }
}
