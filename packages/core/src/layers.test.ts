// SPDX-License-Identifier: Apache-2.0
// Core's layers (docs/architecture.md, "Inside core"): each directory belongs to one layer and a
// file may import only files of its own layer or of a lower one, and no file may reach itself
// through its imports (no import loop, type-only imports included: a loop is a loop to a reader).
// The entry points follow the layers: @iofleet/core (base), ./hardware, ./cost, ./linux, ./bench;
// ./testing sits on top (only tests import it).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = __dirname;

/** Bottom-up: the layer of every top-level directory (or file) of src/. */
const LAYERS: readonly (readonly string[])[] = [
  ['index.ts', 'addresses.ts', 'errors.ts', 'bits', 'sim', 'trace'],
  ['hardware', 'memory', 'stats', 'caches', 'page-table', 'iommu', 'vtd', 'amd', 'smmu'],
  ['cost'],
  ['dma', 'linux'],
  ['bench'],
  ['testing'],
];

/**
 * The import loops left, each with the reason. vtd/unit.ts and vtd/domain.ts are being split and
 * rewritten by issue #19 (VT-d hot path); the domain should take an interface of what it needs of
 * its unit, as amd/domain.ts (AmdDomainHost) and smmu/domain.ts (DomainHost) do.
 */
const KNOWN_LOOPS: readonly string[] = ['vtd/domain.ts > vtd/unit.ts', 'vtd/scalable-translate.ts > vtd/unit.ts'];

function layerOf(file: string): number {
  const top = file.split('/')[0]!;
  const i = LAYERS.findIndex((l) => l.includes(top));
  if (i < 0) throw new Error(`${file}: its directory ${top} is in no layer of layers.test.ts`);
  return i;
}

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(relative(SRC, p));
  }
  return out;
}

/** file -> the files of src/ it imports (static imports and re-exports, type-only included). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const deps: string[] = [];
    for (const m of readFileSync(join(SRC, file), 'utf8').matchAll(/\bfrom\s+'(\.[^']*)'/g)) {
      const base = resolve(dirname(join(SRC, file)), m[1]!);
      const target = [`${base}.ts`, join(base, 'index.ts')].find((c) => {
        try {
          return statSync(c).isFile();
        } catch {
          return false;
        }
      });
      if (target === undefined) throw new Error(`${file}: cannot resolve ${m[1]}`);
      deps.push(relative(SRC, target));
    }
    graph.set(file, deps);
  }
  return graph;
}

/** Every import edge a -> b that lies on a loop, as 'a > b'. */
function loopEdges(graph: Map<string, string[]>): string[] {
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const todo = [from];
    while (todo.length) {
      const f = todo.pop()!;
      if (f === to) return true;
      if (seen.has(f)) continue;
      seen.add(f);
      todo.push(...(graph.get(f) ?? []));
    }
    return false;
  };
  const out: string[] = [];
  for (const [a, deps] of graph) for (const b of deps) if (reaches(b, a)) out.push(`${a} > ${b}`);
  return out;
}

describe("core's layers", () => {
  const graph = importGraph();

  it('no file imports a file of a higher layer', () => {
    const upward: string[] = [];
    for (const [a, deps] of graph) for (const b of deps) if (layerOf(b) > layerOf(a)) upward.push(`${a} imports ${b}`);
    expect(upward).toEqual([]);
  });

  it('no import loops but the known ones', () => {
    const loops = loopEdges(graph).filter(
      (e) => !KNOWN_LOOPS.some((k) => e === k || e === k.split(' > ').reverse().join(' > ')),
    );
    expect(loops).toEqual([]);
  });

  it('the checks see a planted upward import and a planted loop', () => {
    const planted = new Map(graph);
    planted.set('memory/phys-memory.ts', [...(graph.get('memory/phys-memory.ts') ?? []), 'dma/dma-sim.ts']);
    expect(layerOf('dma/dma-sim.ts')).toBeGreaterThan(layerOf('memory/phys-memory.ts'));
    planted.set('errors.ts', ['addresses.ts']);
    planted.set('addresses.ts', ['errors.ts']);
    expect(loopEdges(planted)).toEqual(
      expect.arrayContaining(['errors.ts > addresses.ts', 'addresses.ts > errors.ts']),
    );
  });
});
