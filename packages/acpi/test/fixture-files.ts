// SPDX-License-Identifier: Apache-2.0
// The test fixtures (fixtures/README.md): one recursive listing for the codec, DSL-agreement and
// fuzz tests and for tools/fuzz-acpi.ts, the manifest of the real machines' tables, and the
// round-trip test every codec passes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { byteSum } from '../src/index';

export const FIX = join(__dirname, 'fixtures');

/** Every file below `dir` (recursively) whose name passes `keep`, sorted. */
export function fixtureFiles(keep: (name: string, path: string) => boolean, dir = FIX): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, f.name);
      if (f.isDirectory()) walk(p);
      else if (keep(f.name, p)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** The binary fixture tables (.dat/.aml) whose 4-byte signature is one of `sigs`. */
export function tableFiles(sigs: readonly string[], dir = FIX): string[] {
  return fixtureFiles(
    (name, p) => /\.(dat|aml)$/.test(name) && sigs.includes(readFileSync(p).subarray(0, 4).toString('latin1')),
    dir,
  );
}

/** One entry of fixtures/real/manifest.json, decoded by the data set's authors; `info` per signature. */
export interface ManifestEntry<Info> {
  file: string;
  sig: string;
  subtables: Record<string, number>;
  info: Info;
}

/**
 * Registers one test per table of signature `sig` in the manifest: the table decodes and `check`
 * compares it with the manifest's counts.
 */
export function itMatchesManifest<Info, T>(
  sig: string,
  decode: (bytes: Uint8Array) => T,
  check: (table: T, entry: ManifestEntry<Info>) => void,
): void {
  const all: ManifestEntry<Info>[] = JSON.parse(readFileSync(join(FIX, 'real', 'manifest.json'), 'utf8'));
  const rows = all.filter((m) => m.sig === sig).map((m): [string, ManifestEntry<Info>] => [m.file, m]);
  it.each(rows)('%s: counts match the manifest', (file, entry) => {
    check(decode(new Uint8Array(readFileSync(join(FIX, 'real', file)))), entry);
  });
}

/** How many of `items` there are per `key` (the manifest's way of counting subtables and entries). */
export function countBy<T>(items: Iterable<T>, key: (item: T) => string | number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of items) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

/**
 * Registers the tests every codec passes on its fixtures: at least `min` tables with signature `sig`
 * are found, and each has a valid checksum and re-encodes byte-identical (`alsoCheck`: more checks
 * on the decoded table). Returns the tables' paths.
 */
export function itRoundTripsFixtures<T>(
  sig: string,
  min: number,
  codec: { decode: (bytes: Uint8Array) => T; encode: (table: T) => Uint8Array },
  alsoCheck?: (table: T, bytes: Uint8Array) => void,
): string[] {
  const files = tableFiles([sig]);
  it(`finds at least ${min} ${sig} fixtures`, () => {
    expect(files.length).toBeGreaterThanOrEqual(min);
  });
  it.each(files.map((f) => [f.slice(FIX.length + 1), f]))('%s round-trips byte-identical', (_name, file) => {
    const bytes = new Uint8Array(readFileSync(file));
    expect(byteSum(bytes)).toBe(0);
    const table = codec.decode(bytes);
    expect(Buffer.from(codec.encode(table)).equals(Buffer.from(bytes))).toBe(true);
    alsoCheck?.(table, bytes);
  });
  return files;
}
