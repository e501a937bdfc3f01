#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The architecture from ONE description, tools/architecture.json (layers, parts, arrows):
//   node tools/architecture.mjs --write   writes the Nx tags of every project (package.json nx.tags)
//                                         and docs/architecture.md from the description
//   node tools/architecture.mjs --check   exit 1 when a generated file is not what --write would write
//                                         (tools/run-tests.sh runs it, as it runs `nx sync:check`)
// The description's own consistency (every workspace project is a part, arrows point down the
// layers) is checked by both; tools/check-boundaries.mjs checks the code against the arrows.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
export const DESCRIPTION = 'tools/architecture.json';
export const DOC = 'docs/architecture.md';
const readJson = (root, f) => JSON.parse(readFileSync(join(root, f), 'utf8'));

/** Every workspace project under `root`: { name, dir, pkg }. */
export function workspaceProjects(root = ROOT) {
  const out = [];
  for (const base of readJson(root, 'package.json').workspaces.map((w) => w.replace(/\/\*$/, ''))) {
    if (!existsSync(join(root, base))) continue;
    for (const n of readdirSync(join(root, base)).sort()) {
      const dir = `${base}/${n}`;
      if (existsSync(join(root, dir, 'package.json')))
        out.push({ name: readJson(root, `${dir}/package.json`).name, dir });
    }
  }
  return out.map((p) => ({ ...p, pkg: readJson(root, `${p.dir}/package.json`) }));
}

/** The description, with each part's layer index and the arrows of every entry point resolved. */
export function loadArchitecture(root = ROOT) {
  const d = readJson(root, DESCRIPTION);
  const layerIndex = new Map(d.layers.map((l, i) => [l.name, i]));
  const parts = new Map();
  for (const [name, p] of Object.entries(d.parts)) {
    parts.set(name, {
      name,
      ...p,
      layerIndex: layerIndex.get(p.layer),
      entries: p.entries ?? {},
      testDependsOn: p.testDependsOn ?? [],
    });
  }
  return { layers: d.layers, layerIndex, parts, notes: d.notes ?? [] };
}

/** What a part may import from one entry point ('.', './testing'...), or from any file (undefined). */
export function allowedFrom(part, entry) {
  const all = new Set(part.dependsOn);
  for (const [sub, e] of Object.entries(part.entries))
    if (entry === undefined || sub === entry) for (const x of e.dependsOn) all.add(x);
  return all;
}

/** The description's own errors: unknown layers or parts, arrows that do not point down, missing projects. */
export function descriptionErrors(arch, projects) {
  const errors = [];
  const { parts, layerIndex } = arch;
  for (const p of parts.values()) {
    if (p.layerIndex === undefined) errors.push(`${p.name}: unknown layer '${p.layer}'`);
    const check = (to, kind, sameLayerOk) => {
      const t = parts.get(to);
      if (!t) errors.push(`${p.name}: ${kind} names ${to}, which is not a part`);
      else if (t.layerIndex > p.layerIndex || (t.layerIndex === p.layerIndex && !sameLayerOk) || to === p.name)
        errors.push(`${p.name} (${p.layer}): ${kind} ${to} (${t.layer}) does not point to a lower layer`);
    };
    for (const to of p.dependsOn) check(to, 'dependsOn', false);
    for (const [sub, e] of Object.entries(p.entries)) for (const to of e.dependsOn) check(to, `entry ${sub}`, false);
    for (const to of p.testDependsOn) check(to, 'testDependsOn', true);
  }
  for (const pr of projects) {
    const part = parts.get(pr.name);
    if (!part) errors.push(`${pr.name} (${pr.dir}): not described in ${DESCRIPTION}`);
    else if (part.dir !== pr.dir) errors.push(`${pr.name}: ${DESCRIPTION} says dir ${part.dir}, it is ${pr.dir}`);
    else
      for (const sub of Object.keys(part.entries))
        if (!pr.pkg.exports?.[sub])
          errors.push(`${pr.name}: ${DESCRIPTION} names entry ${sub}, which package.json does not export`);
  }
  for (const name of parts.keys())
    if (!projects.some((pr) => pr.name === name)) errors.push(`${name}: described but not a workspace project`);
  if (layerIndex.size !== arch.layers.length) errors.push('two layers share a name');
  return errors;
}

const kindOf = (part) => (part.layer === 'app' ? 'app' : part.layer === 'device' ? 'plugin' : 'lib');

/** The Nx tags of a part: its layer and its kind. */
export const tagsOf = (part) => [`layer:${part.layer}`, `type:${kindOf(part)}`];

/** Nx-style module-boundary rules from the layers: each layer's tag may depend on the tags below it. */
export function depConstraints(arch) {
  return arch.layers.map((l, i) => ({
    sourceTag: `layer:${l.name}`,
    onlyDependOnLibsWithTags: arch.layers.slice(0, i).map((x) => `layer:${x.name}`),
  }));
}

const code = (s) => `\`${s}\``;
const sentence = (s) => (s && !/[.!?]$/.test(s) ? `${s}.` : s);
const short = (n) => n.replace('@iofleet/', '');
const mermaidId = (n) => short(n).replace(/-/g, '_');

function graph(arch) {
  const lines = ['```mermaid', 'flowchart BT'];
  for (const l of [...arch.layers].reverse()) {
    lines.push(`  subgraph ${l.name}`);
    for (const p of arch.parts.values())
      if (p.layer === l.name) lines.push(`    ${mermaidId(p.name)}[${short(p.name)}]`);
    lines.push('  end');
  }
  for (const p of arch.parts.values()) {
    for (const to of p.dependsOn) lines.push(`  ${mermaidId(p.name)} --> ${mermaidId(to)}`);
    for (const [sub, e] of Object.entries(p.entries))
      for (const to of e.dependsOn) lines.push(`  ${mermaidId(p.name)} -. "${sub}" .-> ${mermaidId(to)}`);
    for (const to of p.testDependsOn) lines.push(`  ${mermaidId(p.name)} -. tests .-> ${mermaidId(to)}`);
  }
  lines.push('```');
  return lines;
}

function partSection(arch, p, pkg) {
  const usedBy = [...arch.parts.values()]
    .filter((q) => allowedFrom(q).has(p.name) || q.testDependsOn.includes(p.name))
    .map((q) => code(short(q.name)));
  const entries = Object.keys(pkg.exports ?? {}).filter((s) => s !== './package.json');
  const lines = [
    `### ${p.name}`,
    '',
    `${code(p.dir)}, layer ${p.layer}, Nx tags ${tagsOf(p).map(code).join(', ')}. ${sentence(pkg.description ?? '')}`.trim(),
    '',
  ];
  if (entries.length) lines.push(`- Entry points: ${entries.map(code).join(', ')}`);
  lines.push(
    `- Depends on: ${p.dependsOn.length ? p.dependsOn.map((x) => code(short(x))).join(', ') : 'nothing of ours'}`,
  );
  for (const [sub, e] of Object.entries(p.entries))
    lines.push(
      `- Only its ${code(sub)} entry depends on ${e.dependsOn.map((x) => code(short(x))).join(', ')}: ${e.note}.`,
    );
  if (p.inside) {
    lines.push('- Inner layers, bottom up (a file may import only its own inner layer or a lower one):', '');
    lines.push('  | entry point | holds (under `src/`) | what it is |', '  |---|---|---|');
    for (const l of p.inside) lines.push(`  | ${code(l.entry)} | ${l.holds.map(code).join(', ')} | ${l.summary} |`);
    lines.push('');
    for (const k of p.knownLoops ?? []) lines.push(`- Import loop left: ${k.files.map(code).join(', ')}: ${k.note}.`);
  }
  if (p.testDependsOn.length) lines.push(`- Its tests start ${p.testDependsOn.map((x) => code(short(x))).join(', ')}`);
  lines.push(`- Used by: ${usedBy.length ? usedBy.join(', ') : 'no other part'}`, '');
  return lines;
}

/** docs/architecture.md as the description says it. */
export function renderDoc(arch, projects) {
  const pkgOf = new Map(projects.map((p) => [p.name, p.pkg]));
  const out = [
    '# iofleet — architecture',
    '',
    `<!-- Generated by \`node tools/architecture.mjs --write\` from \`${DESCRIPTION}\`: edit that file, then regenerate. \`bash tools/run-tests.sh\` fails while this file is stale. -->`,
    '',
    'The parts of the repository (Nx projects, npm workspaces), the layer each belongs to, and the',
    'arrows between them: what each part may import. Packages are libraries; apps are processes.',
    `Everything here comes from one description, ${code(DESCRIPTION)}; the same description gives every`,
    "project its Nx tags, and `node tools/check-boundaries.mjs` checks every project's `package.json`",
    'dependencies and every `@iofleet/*` import in its sources against the arrows. `npx nx graph` draws',
    'the same graph from the code.',
    '',
    '## Layers, bottom up',
    '',
    '| layer | parts | what they are |',
    '|---|---|---|',
  ];
  for (const l of arch.layers) {
    const names = [...arch.parts.values()].filter((p) => p.layer === l.name).map((p) => code(short(p.name)));
    out.push(`| ${l.name} | ${names.join(', ')} | ${l.summary} |`);
  }
  out.push(
    '',
    'An arrow points only to a lower layer; parts of one layer never depend on each other (an',
    "app's tests may start another app).",
    '',
    '## The graph',
    '',
    'Solid: any file of the part may import the target. Dashed with a name: only that entry point',
    '(an `exports` subpath, with the files it reaches) may. Dashed "tests": its tests start the target.',
    '',
    ...graph(arch),
    '',
    '## Module-boundary rules',
    '',
    'Each project carries the Nx tags `layer:<layer>` and `type:lib|plugin|app` (in its',
    '`package.json`, `nx.tags`). The layer rules, in the form of Nx `depConstraints`:',
    '',
    '| source tag | may depend only on |',
    '|---|---|',
    ...depConstraints(arch).map(
      (c) => `| ${code(c.sourceTag)} | ${c.onlyDependOnLibsWithTags.map(code).join(', ') || 'nothing'} |`,
    ),
    '',
    'Within them, each part may depend only on the parts its arrows name. `tools/check-boundaries.mjs` fails',
    'when a `package.json` declares an `@iofleet/*` dependency that is not an arrow or an arrow that it does',
    'not declare, when a source file imports a part that its entry point may not use (static, dynamic or',
    "`require`), when an arrow is never used, or when a file reaches into another package's `src/`, `dist/`",
    'or `internal`; and when a source file (tests aside) outside `vocabulary` spells one of its span,',
    'attribute, service or metric names instead of importing it. A part with inner layers (`inside`: core)',
    'is checked inside too: a file that imports a file of a higher inner layer, a file in no inner layer,',
    'and an import loop among its files (type-only imports included) but those it lists, are reported.',
    '',
    '## Where this differs from DESIGN.md',
    '',
    ...arch.notes.map((n) => `- ${n}`),
    '',
    '## Parts',
    '',
  );
  for (const l of arch.layers)
    for (const p of arch.parts.values())
      if (p.layer === l.name) out.push(...partSection(arch, p, pkgOf.get(p.name) ?? {}));
  return `${out.join('\n').trimEnd()}\n`;
}

/** Every generated file: path -> the text it must have. */
export function generatedFiles(arch, projects) {
  const files = new Map([[DOC, renderDoc(arch, projects)]]);
  for (const pr of projects) {
    const part = arch.parts.get(pr.name);
    if (!part) continue;
    const pkg = { ...pr.pkg, nx: { ...pr.pkg.nx, tags: tagsOf(part) } };
    files.set(`${pr.dir}/package.json`, `${JSON.stringify(pkg, null, 2)}\n`);
  }
  return files;
}

/**
 * The generated files under `root` that differ from the description (rewritten when `write`), or
 * the description's errors when it has any (then nothing is written).
 */
export function syncGenerated(root, write) {
  const projects = workspaceProjects(root);
  const arch = loadArchitecture(root);
  const errors = descriptionErrors(arch, projects);
  if (errors.length) return { errors, stale: [] };
  const stale = [];
  for (const [file, text] of generatedFiles(arch, projects)) {
    const now = existsSync(join(root, file)) ? readFileSync(join(root, file), 'utf8') : undefined;
    if (now === text) continue;
    if (write) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    }
    stale.push(file);
  }
  return { errors, stale, projects };
}

function main(mode) {
  const { errors, stale, projects } = syncGenerated(ROOT, mode === '--write');
  for (const e of errors) console.error(`architecture: ${e}`);
  if (errors.length) process.exit(1);
  if (mode === '--write') console.log(`architecture: ${stale.length ? `wrote ${stale.join(', ')}` : 'up to date'}`);
  else if (stale.length) {
    for (const f of stale) console.error(`architecture: ${f} is not generated from ${DESCRIPTION}`);
    console.error("architecture: run 'node tools/architecture.mjs --write'");
    process.exit(1);
  } else console.log(`architecture: ${DOC} and the Nx tags of ${projects.length} projects are up to date`);
}

if (process.argv[1] === import.meta.filename) {
  const mode = process.argv[2];
  if (mode !== '--write' && mode !== '--check') {
    console.error('usage: node tools/architecture.mjs --write | --check');
    process.exit(2);
  }
  main(mode);
}
