// SPDX-License-Identifier: Apache-2.0
// The test fixtures (fixtures/README.md): one recursive listing for the codec, DSL-agreement and
// fuzz tests and for tools/fuzz-acpi.ts, and the manifest of the real machines' tables.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** The manifest's entries for signature `sig`, as [file, entry] rows for `it.each`. */
export function manifestRows<Info>(sig: string): [string, ManifestEntry<Info>][] {
  const all: ManifestEntry<Info>[] = JSON.parse(readFileSync(join(FIX, 'real', 'manifest.json'), 'utf8'));
  return all.filter((m) => m.sig === sig).map((m) => [m.file, m]);
}
