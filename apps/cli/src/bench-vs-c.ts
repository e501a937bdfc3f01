// SPDX-License-Identifier: Apache-2.0
// `iofleet bench core --vs-c`: the C reference (apps/cli/bench-c/cref.c, compiled with `cc -O2`
// into a temporary directory) and the project's VT-d unit on the same work, side by side in one
// run, alternating C then TypeScript for each round; prints each figure and the ratio TS / C.
// Each side of a round runs in a process of its own (the TypeScript side is this command with the
// hidden --vs-c-ts-side): the JIT's decisions differ from process to process, so rounds in one
// process are not independent samples, and C is a fresh process every round too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlignedBenchResult } from '@iofleet/core/bench';
import { CliError } from './cli-error';
import { CLI_MAIN, REPO_ROOT } from './paths';

export const CREF_SOURCE = join(REPO_ROOT, 'apps', 'cli', 'bench-c', 'cref.c');

export interface VsCRound {
  c: AlignedBenchResult;
  ts: AlignedBenchResult;
  walkRatio: number;
  iotlbHitRatio: number;
  /** TS's IOTLB hits with LRU replacement over C's (round-robin) hits. */
  iotlbHitLruRatio: number;
  /** With --bounds: the bare JavaScript walks (no IOMMU semantics) over C's walks. */
  bareWalkRatio?: number;
  bareInterleavedWalkRatio?: number;
}

export interface VsCResult {
  compiler: string;
  mappings: number;
  rounds: VsCRound[];
  /** Median over the rounds of TS / C. */
  walkRatio: number;
  iotlbHitRatio: number;
  iotlbHitLruRatio: number;
  /** With --bounds: medians of the rounds' bare-walk ratios (the ceiling of a walk in JavaScript). */
  bareWalkRatio?: number;
  bareInterleavedWalkRatio?: number;
}

/** Compiles cref.c into `dir`; a CliError naming the compiler when there is none or it fails. */
export function compileCref(dir: string, compiler = process.env.CC || 'cc'): string {
  const exe = join(dir, 'cref');
  const r = spawnSync(compiler, ['-O2', '-o', exe, CREF_SOURCE], { encoding: 'utf8' });
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT'
        ? `bench core --vs-c needs a C compiler: '${compiler}' was not found (install cc/gcc/clang or set CC)`
        : `bench core --vs-c: running '${compiler}' failed: ${r.error.message}`,
    );
  }
  if (r.status !== 0) throw new CliError(`bench core --vs-c: '${compiler} -O2 ${CREF_SOURCE}' failed:\n${r.stderr}`);
  return exe;
}

function runC(exe: string, mappings: number): AlignedBenchResult {
  const r = spawnSync(exe, [String(mappings)], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0 || r.error !== undefined)
    throw new CliError(`bench core --vs-c: the C reference exited with ${r.status ?? r.signal}: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as AlignedBenchResult;
  if (!(j.pageWalkTranslationsPerSec > 0 && j.iotlbHitTranslationsPerSec > 0))
    throw new CliError(`bench core --vs-c: the C reference printed no figures: ${r.stdout}`);
  return j;
}

/** The TypeScript side of one round, in a fresh process (`bench core --vs-c-ts-side`). */
function runTs(mappings: number, seconds: number, bounds: boolean): AlignedBenchResult {
  const args = [
    CLI_MAIN,
    'bench',
    'core',
    '--vs-c-ts-side',
    '--mappings',
    String(mappings),
    '--seconds',
    String(seconds),
    ...(bounds ? ['--bounds'] : []),
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0 || r.error !== undefined)
    throw new CliError(`bench core --vs-c: the TypeScript side exited with ${r.status ?? r.signal}: ${r.stderr}`);
  return JSON.parse(r.stdout) as AlignedBenchResult;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** `bounds`: each TypeScript side also runs bare-walk.ts's walks (no IOMMU semantics) on the same work. */
export function benchVsC(mappings: number, rounds: number, seconds: number, bounds = false): VsCResult {
  const compiler = process.env.CC || 'cc';
  const dir = mkdtempSync(join(tmpdir(), 'iofleet-cref-'));
  try {
    const exe = compileCref(dir, compiler);
    const out: VsCRound[] = [];
    for (let i = 0; i < rounds; i++) {
      const c = runC(exe, mappings);
      const ts = runTs(mappings, seconds, bounds);
      const cw = c.pageWalkTranslationsPerSec;
      out.push({
        c,
        ts,
        walkRatio: ts.pageWalkTranslationsPerSec / cw,
        iotlbHitRatio: ts.iotlbHitTranslationsPerSec / c.iotlbHitTranslationsPerSec,
        iotlbHitLruRatio: (ts.iotlbHitLruTranslationsPerSec ?? 0) / c.iotlbHitTranslationsPerSec,
        ...(ts.bounds
          ? {
              bareWalkRatio: ts.bounds.bareWalksPerSec / cw,
              bareInterleavedWalkRatio: ts.bounds.bareInterleavedWalksPerSec / cw,
            }
          : {}),
      });
    }
    return {
      compiler,
      mappings,
      rounds: out,
      walkRatio: median(out.map((r) => r.walkRatio)),
      iotlbHitRatio: median(out.map((r) => r.iotlbHitRatio)),
      iotlbHitLruRatio: median(out.map((r) => r.iotlbHitLruRatio)),
      ...(bounds
        ? {
            bareWalkRatio: median(out.map((r) => r.bareWalkRatio!)),
            bareInterleavedWalkRatio: median(out.map((r) => r.bareInterleavedWalkRatio!)),
          }
        : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
