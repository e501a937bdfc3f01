// SPDX-License-Identifier: Apache-2.0
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fuzzAcpi } from '../src/index';
import { FIX, tableFiles } from './fixture-files';

/** Every fixture table (recursively) whose signature is one of `sigs`. */
const tables = (sigs: readonly string[]): Uint8Array[] => tableFiles(sigs).map((p) => new Uint8Array(readFileSync(p)));

describe('decoder fuzzing', () => {
  it('5,000 random and mutated tables: only typed decode errors escape, nothing hangs', () => {
    const dir = join(FIX, 'real');
    const corpus = readdirSync(dir)
      .filter((f) => f.endsWith('.dat'))
      .map((f) => new Uint8Array(readFileSync(join(dir, f))));
    const r = fuzzAcpi(corpus, 5000, 20261125, 500);
    expect(r.crashes).toEqual([]);
    expect(r.rejected).toBeGreaterThan(100);
    expect(r.decoded).toBeGreaterThan(100);
  });

  it('5,000 mutated IORTs: typed errors only, and what decodes re-encodes, validates and maps RIDs', () => {
    const corpus = tables(['IORT']);
    expect(corpus.length).toBeGreaterThanOrEqual(10);
    const r = fuzzAcpi(corpus, 5000, 20261206, 500);
    expect(r.crashes).toEqual([]);
    expect(r.rejected).toBeGreaterThan(100);
    expect(r.decoded).toBeGreaterThan(100);
  });
});
