#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Keeps the code true to the arrows of tools/architecture.json (docs/architecture.md shows them;
// STYLE.md item 1). The rules are not written here: they are the description's. For every project:
//  1. its Nx tags are its layer's (tools/architecture.mjs --write sets them) and every project it
//     depends on carries a layer tag its own layer may depend on (the Nx depConstraints);
//  2. its package.json @iofleet/* dependencies are exactly its arrows (devDependencies: its test
//     arrows), so `nx graph` shows what the description says;
//  3. every `@iofleet/...` import in its sources (static, `export from`, dynamic `import()`,
//     `require`) is allowed for the file's entry point: a file reached (through relative imports)
//     from an `exports` subpath may use that entry's arrows, other files (tests, helpers) any of
//     the part's; every arrow is used by some import; nothing reaches into another package's
//     src/, dist/ or internal.
//  4. a part with layers inside (`inside`, core): no source file imports a file of a higher inner
//     layer, every source file lies in one, each inner layer's entry point exists, and the part's
//     sources have no import loop (type-only imports included) but the `knownLoops` it lists;
//  5. no source outside @iofleet/vocabulary spells one of its names as a string literal (tests may:
//     they pin the names readers rely on); names too plain to tell apart ('simulate') are skipped.
// Exit 1 with one line per violation.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import {
  allowedFrom,
  DESCRIPTION,
  depConstraints,
  descriptionErrors,
  loadArchitecture,
  ROOT,
  tagsOf,
  workspaceProjects,
} from './architecture.mjs';

const SKIP = new Set(['node_modules', 'dist', 'gen', 'out-tsc', 'bundle', 'test-results', 'bin']);
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm;

function* sourceFiles(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (SKIP.has(name)) continue;
    if (statSync(p).isDirectory()) yield* sourceFiles(p);
    else if (/\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts')) yield p;
  }
}

const importsOf = (file) => [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => m[1]);

/** The file a relative import names (./x -> x.ts or x/index.ts), or undefined. */
function resolveRelative(from, spec) {
  const base = resolve(dirname(from), spec.replace(/\.(js|mjs|cjs)$/, ''));
  for (const c of [base, `${base}.ts`, `${base}.mts`, join(base, 'index.ts')])
    if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

/** Files reached from `entry` through relative imports. */
function reachable(entry) {
  const seen = new Set();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop();
    if (seen.has(f)) continue;
    seen.add(f);
    for (const spec of importsOf(f)) {
      if (!spec.startsWith('.')) continue;
      const r = resolveRelative(f, spec);
      if (r && /\.(ts|mts)$/.test(r)) todo.push(r);
    }
  }
  return seen;
}

/** Entry point -> the files it reaches, from package.json exports with an @iofleet/source condition. */
function entryFiles(root, dir, pkg) {
  const out = new Map();
  for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
    const src = typeof target === 'object' ? target['@iofleet/source'] : undefined;
    if (src) out.set(sub, reachable(join(root, dir, src)));
  }
  if (!out.size && existsSync(join(root, dir, 'src/main.ts'))) out.set('.', reachable(join(root, dir, 'src/main.ts')));
  return out;
}

const ours = (deps) => Object.keys(deps ?? {}).filter((d) => d.startsWith('@iofleet/'));

/** 1 and 2: a project's tags and package.json dependencies against its arrows and its layer's rule. */
function manifestViolations(arch, { name, pkg }, tagOf, constraints) {
  const out = [];
  const part = arch.parts.get(name);
  const tags = tagOf.get(name);
  if (JSON.stringify(tags) !== JSON.stringify(tagsOf(part)))
    out.push(`${name}: Nx tags ${JSON.stringify(tags)}, the description gives ${JSON.stringify(tagsOf(part))}`);
  const declared = ours(pkg.dependencies);
  const arrows = allowedFrom(part);
  for (const d of declared) {
    if (!arrows.has(d)) out.push(`${name}: package.json depends on ${d}, which is not an arrow of ${DESCRIPTION}`);
    const layerTag = (tagOf.get(d) ?? []).find((t) => t.startsWith('layer:'));
    if (!(constraints.get(`layer:${part.layer}`) ?? []).includes(layerTag))
      out.push(`${name} (layer:${part.layer}): may not depend on ${d} (${layerTag})`);
  }
  for (const a of arrows)
    if (!declared.includes(a)) out.push(`${name}: ${DESCRIPTION} says it depends on ${a}; package.json does not`);
  const devDeclared = ours(pkg.devDependencies);
  for (const d of devDeclared)
    if (!part.testDependsOn.includes(d)) out.push(`${name}: devDependency ${d} is not a testDependsOn arrow`);
  for (const a of part.testDependsOn)
    if (!devDeclared.includes(a)) out.push(`${name}: testDependsOn ${a} is not a devDependency`);
  return out;
}

/** 3: every import of a project's sources against the arrows of the entry points that reach it. */
function importViolations(root, arch, { name, dir, pkg }) {
  const out = [];
  const part = arch.parts.get(name);
  const arrows = allowedFrom(part);
  const entries = entryFiles(root, dir, pkg);
  const used = new Set();
  for (const file of sourceFiles(join(root, dir))) {
    const inEntries = [...entries].filter(([, files]) => files.has(file)).map(([sub]) => sub);
    // A file reached from several entries may use only what all of them may.
    const allowed = inEntries.length
      ? new Set([...allowedFrom(part, inEntries[0])].filter((d) => inEntries.every((e) => allowedFrom(part, e).has(d))))
      : new Set([...arrows, ...part.testDependsOn]);
    const where = relative(root, file);
    for (const spec of importsOf(file)) {
      const m = /^(@iofleet\/[a-z0-9-]+)(\/.*)?$/.exec(spec);
      if (!m || m[1] === name) continue;
      used.add(m[1]);
      if (!allowed.has(m[1]))
        out.push(
          `${where}: imports ${m[1]}, which ${inEntries.length ? `entry ${inEntries.join(', ')} of ${name}` : name} may not use`,
        );
      if (m[2] && /\/(src|dist|internal)(\/|$)/.test(m[2])) out.push(`${where}: reaches into ${spec}`);
    }
  }
  for (const a of arrows) if (!used.has(a)) out.push(`${name}: arrow to ${a} is never imported (remove it)`);
  return out;
}

/** Every relative import edge of the part's non-test sources under src/: [from, to], paths relative to src/. */
function relativeEdges(src) {
  const edges = [];
  for (const file of sourceFiles(src)) {
    if (/\.test\.ts$/.test(file)) continue;
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const r = resolveRelative(file, spec);
      if (r) edges.push([relative(src, file), relative(src, r)]);
    }
  }
  return edges;
}

/** Edges [a, b] that lie on an import loop (b reaches a). */
function loopEdges(edges) {
  const next = new Map();
  for (const [a, b] of edges) next.set(a, [...(next.get(a) ?? []), b]);
  const reaches = (from, to) => {
    const seen = new Set();
    const todo = [from];
    while (todo.length) {
      const f = todo.pop();
      if (f === to) return true;
      if (seen.has(f)) continue;
      seen.add(f);
      todo.push(...(next.get(f) ?? []));
    }
    return false;
  };
  return edges.filter(([a, b]) => reaches(b, a));
}

/**
 * 4: a part's inner layers (`inside`): imports go down (but the `allowedUp` edges, each with its
 * reason), every file is in a layer, no loops but the known ones.
 */
function insideViolations(root, { name, dir, pkg }, part) {
  if (!part.inside) return [];
  const out = [];
  const src = join(root, dir, 'src');
  const layerOf = (file) => part.inside.findIndex((l) => l.holds.includes(file.split('/')[0]));
  for (const l of part.inside)
    if (!pkg.exports?.[l.entry]) out.push(`${name}: inner layer ${l.entry} is not an exports entry of package.json`);
  for (const file of sourceFiles(src)) {
    const f = relative(src, file);
    if (!/\.test\.ts$/.test(f) && layerOf(f) < 0) out.push(`${dir}/src/${f}: in no inner layer of ${name}`);
  }
  const edges = relativeEdges(src);
  const allowedUp = (a, b) => (part.allowedUp ?? []).some((u) => u.from === a && u.to.includes(b));
  for (const [a, b] of edges) {
    const [la, lb] = [layerOf(a), layerOf(b)];
    if (la >= 0 && lb > la && !allowedUp(a, b))
      out.push(
        `${dir}/src/${a}: imports ${b}, of a higher layer of ${name} (${part.inside[lb].entry} above ${part.inside[la].entry})`,
      );
  }
  const known = (a, b) => (part.knownLoops ?? []).some((k) => k.files.includes(a) && k.files.includes(b));
  for (const [a, b] of loopEdges(edges))
    if (!known(a, b)) out.push(`${dir}/src/${a}: imports ${b}, which imports it back (an import loop)`);
  return out;
}

/** 5: the vocabulary's names are spelt only in the vocabulary (tests aside). */
function vocabularyViolations(root, arch, projects) {
  const out = [];
  const vocabulary = arch.parts.get('@iofleet/vocabulary');
  if (!vocabulary) return out;
  const names = new Map();
  for (const f of sourceFiles(join(root, vocabulary.dir, 'src')))
    for (const m of readFileSync(f, 'utf8').matchAll(/export const ([A-Z0-9_]+) = '([^']+)'/g))
      if (/[._-]/.test(m[2])) names.set(m[2], m[1]);
  for (const { name, dir } of projects) {
    if (name === vocabulary.name) continue;
    for (const file of sourceFiles(join(root, dir))) {
      if (/\.test\.ts$|\/test\//.test(file)) continue;
      const code = readFileSync(file, 'utf8').replace(/^\s*(\/\/|\/?\*).*$/gm, ''); // not in comments
      for (const m of code.matchAll(/['"]([a-z][a-z0-9_.-]*)['"]/g))
        if (names.has(m[1]))
          out.push(`${relative(root, file)}: spells '${m[1]}'; import ${names.get(m[1])} from @iofleet/vocabulary`);
    }
  }
  return out;
}

/** Every violation of the workspace under `root`, one line each. */
export function boundaryViolations(root = ROOT) {
  const arch = loadArchitecture(root);
  const projects = workspaceProjects(root);
  const violations = descriptionErrors(arch, projects);
  const tagOf = new Map(projects.map((p) => [p.name, p.pkg.nx?.tags ?? []]));
  const constraints = new Map(depConstraints(arch).map((c) => [c.sourceTag, c.onlyDependOnLibsWithTags]));
  for (const p of projects) {
    if (!arch.parts.has(p.name)) continue; // reported by descriptionErrors
    violations.push(
      ...manifestViolations(arch, p, tagOf, constraints),
      ...importViolations(root, arch, p),
      ...insideViolations(root, p, arch.parts.get(p.name)),
    );
  }
  violations.push(...vocabularyViolations(root, arch, projects));
  return { violations, projects };
}

if (process.argv[1] === import.meta.filename) {
  const { violations, projects } = boundaryViolations();
  for (const v of violations) console.error(`boundaries: ${v}`);
  if (violations.length) process.exit(1);
  console.log(`boundaries: ${projects.length} projects follow ${DESCRIPTION}`);
}
