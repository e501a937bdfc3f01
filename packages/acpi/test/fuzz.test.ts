// SPDX-License-Identifier: Apache-2.0
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fuzzAcpi } from '../src/index';

describe('decoder fuzzing', () => {
  it('5,000 random and mutated tables: only typed decode errors escape, nothing hangs', () => {
    const dir = join(__dirname, 'fixtures', 'real');
    const corpus = readdirSync(dir)
      .filter((f) => f.endsWith('.dat'))
      .map((f) => new Uint8Array(readFileSync(join(dir, f))));
    const r = fuzzAcpi(corpus, 5000, 20261125, 500);
    expect(r.crashes).toEqual([]);
    expect(r.rejected).toBeGreaterThan(100);
    expect(r.decoded).toBeGreaterThan(100);
  });
});
