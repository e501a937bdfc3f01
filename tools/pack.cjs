#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Packs a workspace package into a tarball that installs on its own, outside the monorepo: each
// public entry (every `exports` subpath with an `@iofleet/source` condition) is bundled with esbuild,
// the workspace packages it uses (@iofleet/core...) inlined, npm packages left as dependencies; the
// type declarations of the package and of the workspace packages it uses are emitted by tsc into
// `types/`, their `@iofleet/*` imports rewritten to relative paths. The tarball's package.json says
// what the bundles need from npm and nothing else.
// The plugin contract, @iofleet/sdk, is never inlined into another package's tarball (the host
// checks every plugin against its one copy of the contract; @iofleet/sdk-testing must hand a plugin
// the same SdkError and DevicePlugin types the plugin imports): that tarball names it as a
// peerDependency at the workspace's version, and its bundles and types import it by name.
//
//   node tools/pack.cjs packages/sdk [--out DIR]     prints the tarball's path
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
/** Workspace packages packed on their own and shared by name, never inlined into another tarball. */
const CONTRACTS = ['@iofleet/sdk'];
const readJson = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));

/** Every workspace package: name -> { dir, pkg }. */
function workspacePackages() {
  const out = new Map();
  for (const base of ['packages', 'packages/plugins', 'apps']) {
    for (const name of fs.readdirSync(path.join(ROOT, base))) {
      const file = path.join(ROOT, base, name, 'package.json');
      if (fs.existsSync(file)) {
        const pkg = readJson(file);
        out.set(pkg.name, { dir: path.dirname(file), pkg });
      }
    }
  }
  return out;
}

/** The package's public entries: subpath ('.', './testing') -> source file. */
function sourceEntries(dir, pkg) {
  const entries = [];
  for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
    const src = typeof target === 'object' ? target['@iofleet/source'] : undefined;
    if (src) entries.push({ sub, src: path.join(dir, src) });
  }
  return entries;
}

/** The npm package a bare import names: 'semver/functions/x' -> 'semver', '@a/b/c' -> '@a/b'. */
const npmName = (spec) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

/** The version range of an npm dependency as the workspace declares it (exact pins). */
function declaredVersion(name, ws) {
  for (const { pkg } of ws.values())
    for (const deps of [pkg.dependencies, pkg.peerDependencies, pkg.devDependencies])
      if (deps?.[name] && deps[name] !== '*') return deps[name];
  const root = readJson(path.join(ROOT, 'package.json'));
  const v = root.devDependencies?.[name] ?? root.dependencies?.[name];
  if (!v) throw new Error(`no workspace package declares ${name}`);
  return v;
}

/**
 * Bundles every entry twice: CommonJS (index.js, for require) and ES module (index.mjs, for import:
 * vitest, for one, refuses to be required, so a test helper that imports it must be loaded as ESM).
 */
async function bundleEntries(entries, stage, shared) {
  const esbuild = require('esbuild');
  const externals = new Set();
  for (const e of entries)
    for (const format of ['cjs', 'esm']) {
      const out = path.join(stage, 'dist', e.sub === '.' ? '' : e.sub, format === 'cjs' ? 'index.js' : 'index.mjs');
      await esbuild.build({
        entryPoints: [e.src],
        outfile: out,
        bundle: true,
        platform: 'node',
        format,
        target: 'node20',
        conditions: ['@iofleet/source'],
        logLevel: 'silent',
        plugins: [
          {
            name: 'external-npm',
            setup(b) {
              b.onResolve({ filter: /^[^./]/ }, (a) => {
                if (shared.includes(a.path)) {
                  externals.add(a.path);
                  return { path: a.path, external: true };
                }
                if (a.path.startsWith('@iofleet/') || a.path.startsWith('node:')) return undefined;
                externals.add(npmName(a.path));
                return { path: a.path, external: true };
              });
            },
          },
        ],
      });
      e[format] = `./${path.relative(stage, out)}`;
    }
  return externals;
}

/**
 * tsc declarations of the entries and everything they import from the workspace, under stage/types.
 * Workspace imports are mapped to their sources with `paths`: reached through node_modules, tsc
 * would treat them as external libraries and emit nothing for them.
 */
function emitTypes(entries, stage, ws) {
  const paths = {};
  for (const [name, { dir, pkg }] of ws)
    for (const { sub, src } of sourceEntries(dir, pkg)) paths[sub === '.' ? name : `${name}/${sub.slice(2)}`] = [src];
  const tsconfig = path.join(stage, 'tsconfig.json');
  fs.writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.base.json'),
      compilerOptions: {
        composite: false,
        declaration: true,
        declarationMap: false,
        emitDeclarationOnly: true,
        noEmit: false,
        sourceMap: false,
        rootDir: ROOT,
        outDir: path.join(stage, 'types'),
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        paths,
      },
      files: entries.map((e) => e.src),
    }),
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', tsconfig], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
  fs.rmSync(tsconfig);
}

/** Rewrites `from '@iofleet/x[/sub]'` in every emitted .d.ts to a relative path inside types/. */
function relinkTypes(stage, ws, shared) {
  const target = new Map();
  for (const [name, { dir, pkg }] of ws)
    for (const { sub, src } of sourceEntries(dir, pkg)) {
      const dts = path.join(stage, 'types', path.relative(ROOT, src)).replace(/\.ts$/, '');
      target.set(sub === '.' ? name : `${name}/${sub.slice(2)}`, dts);
    }
  const walk = (d) =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  for (const f of walk(path.join(stage, 'types')).filter((x) => x.endsWith('.d.ts'))) {
    const text = fs.readFileSync(f, 'utf8').replace(/(from |import\()(['"])(@iofleet\/[^'"]+)\2/g, (m, kw, q, spec) => {
      if (shared.includes(spec)) return m;
      const t = target.get(spec);
      if (!t) throw new Error(`${path.relative(stage, f)}: ${spec} is not a workspace entry`);
      let rel = path.relative(path.dirname(f), t);
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return `${kw}${q}${rel}${q}`;
    });
    fs.writeFileSync(f, text);
  }
}

async function pack(pkgDir, outDir) {
  const dir = path.resolve(pkgDir);
  const pkg = readJson(path.join(dir, 'package.json'));
  const ws = workspacePackages();
  const entries = sourceEntries(dir, pkg);
  if (!entries.length) throw new Error(`${pkg.name}: no exports with an @iofleet/source condition`);
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'iofleet-pack-'));
  try {
    const shared = CONTRACTS.filter((c) => c !== pkg.name);
    const externals = await bundleEntries(entries, stage, shared);
    emitTypes(entries, stage, ws);
    relinkTypes(stage, ws, shared);
    const peers = { ...pkg.peerDependencies };
    for (const c of shared.filter((n) => externals.has(n))) {
      externals.delete(c);
      peers[c] = ws.get(c).pkg.version;
      // Its declarations are the contract package's own, not a copy under types/.
      fs.rmSync(path.join(stage, 'types', path.relative(ROOT, ws.get(c).dir)), { recursive: true, force: true });
    }
    const dependencies = {};
    for (const n of [...externals].sort()) if (!(n in peers)) dependencies[n] = declaredVersion(n, ws);
    const exportsMap = { './package.json': './package.json' };
    for (const e of entries) {
      const types = `./${path.join('types', path.relative(ROOT, e.src)).replace(/\.ts$/, '.d.ts')}`;
      exportsMap[e.sub] = { types, import: e.esm, require: e.cjs };
    }
    const main = entries.find((e) => e.sub === '.');
    const manifest = {
      name: pkg.name,
      version: pkg.version,
      description: pkg.description,
      license: pkg.license,
      type: 'commonjs',
      ...(main && { main: main.cjs, types: exportsMap['.'].types }),
      exports: exportsMap,
      dependencies,
      ...(Object.keys(peers).length && { peerDependencies: peers }),
      ...(pkg.peerDependenciesMeta && { peerDependenciesMeta: pkg.peerDependenciesMeta }),
      engines: readJson(path.join(ROOT, 'package.json')).engines,
    };
    fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.copyFileSync(path.join(ROOT, 'LICENSE'), path.join(stage, 'LICENSE'));
    const readme = path.join(dir, 'README.md');
    if (fs.existsSync(readme)) fs.copyFileSync(readme, path.join(stage, 'README.md'));
    fs.mkdirSync(outDir, { recursive: true });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['pack', '--json', '--pack-destination', path.resolve(outDir)], {
      cwd: stage,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
    return path.join(path.resolve(outDir), JSON.parse(r.stdout)[0].filename);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

module.exports = { pack };

if (require.main === module) {
  const args = process.argv.slice(2);
  const o = args.indexOf('--out');
  const outDir = o >= 0 ? args[o + 1] : '.';
  const pkgDir = args.find((a, i) => !a.startsWith('--') && i !== o + 1);
  if (!pkgDir || (o >= 0 && !outDir)) {
    process.stderr.write('usage: node tools/pack.cjs <package dir> [--out DIR]\n');
    process.exit(2);
  }
  pack(pkgDir, outDir).then(
    (file) => process.stdout.write(`${file}\n`),
    (e) => {
      process.stderr.write(`pack: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
