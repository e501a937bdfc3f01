#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Builds one runnable file per app (apps/<app>/bundle/main.cjs) from the TypeScript sources, so the
// `iofleet`, host-agent and scheduler commands start in a fraction of a second with no build step
// and from any directory. Our workspace packages are bundled from their sources (the
// `@iofleet/source` export condition); npm dependencies stay external and load from node_modules.
// The gRPC code (packages/proto/src/gen) is generated first when it is missing or older than the
// .proto files. Each bundle is written beside `inputs.json`, the files it was made from, which the
// launcher (tools/launcher.cjs) compares with the bundle's age to rebuild it when a source changes.
//
//   node tools/bundle.cjs            build every app's bundle (run by `npm ci` as the root `prepare`)
//   node tools/bundle.cjs cli        build one
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');

/** The apps that have a launcher, and the source file each one starts from. */
const APPS = {
  cli: 'apps/cli/src/main.ts',
  'host-agent': 'apps/host-agent/src/main.ts',
  scheduler: 'apps/scheduler/src/main.ts',
};

/** Files whose change makes every bundle stale besides the sources themselves. */
const SHARED_INPUTS = ['tools/bundle.cjs', 'tsconfig.base.json', 'node_modules/.package-lock.json'];

const PROTO_DIR = 'proto';
const GEN_DIR = 'packages/proto/src/gen';

const bundleFile = (app) => path.join(ROOT, 'apps', app, 'bundle', 'main.cjs');
const inputsFile = (app) => path.join(ROOT, 'apps', app, 'bundle', 'inputs.json');

function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return Number.NaN;
  }
}

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** Runs `buf generate` when the generated gRPC code is missing or older than a .proto file. */
function ensureProtoGenerated() {
  const gen = path.join(ROOT, GEN_DIR);
  const protos = walk(path.join(ROOT, PROTO_DIR)).filter((f) => f.endsWith('.proto'));
  protos.push(path.join(ROOT, 'buf.gen.yaml'));
  const generated = fs.existsSync(gen) ? walk(gen) : [];
  const oldestGen = Math.min(...generated.map(mtimeMs));
  if (generated.length > 0 && protos.every((p) => mtimeMs(p) <= oldestGen)) return;
  const bin = path.join(ROOT, 'node_modules', '.bin');
  // buf runs its `local:` plugins (protoc-gen-ts_proto) from PATH, as `npx buf generate` sets it.
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
  const r = spawnSync(path.join(bin, 'buf'), ['generate'], { cwd: ROOT, encoding: 'utf8', env });
  if (r.status !== 0) {
    throw new Error(`buf generate failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').trim()}`);
  }
  // buf leaves a file whose content did not change with its old time: mark them all as new, or a
  // change of buf.gen.yaml that changes no output would look stale at every launch.
  const now = new Date();
  for (const f of walk(gen)) fs.utimesSync(f, now, now);
}

/** esbuild plugin: bundle `@iofleet/*` and relative imports; every other bare import stays external. */
const externalNpm = {
  name: 'external-npm',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@iofleet/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** Builds one app's bundle; writes it atomically so a concurrent launcher never reads half a file. */
async function buildApp(app) {
  const esbuild = require('esbuild');
  ensureProtoGenerated();
  const out = bundleFile(app);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, APPS[app])],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    conditions: ['@iofleet/source'],
    plugins: [externalNpm],
    metafile: true,
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/'));
  fs.writeFileSync(inputsFile(app), `${JSON.stringify([...SHARED_INPUTS, ...inputs])}\n`);
  fs.renameSync(`${tmp}.map`, `${out}.map`);
  // The source map URL names the temporary file; point it at the final one.
  const code = fs.readFileSync(tmp, 'utf8').replace(/sourceMappingURL=.*$/m, 'sourceMappingURL=main.cjs.map');
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, out);
  return out;
}

/** True when the app's bundle exists and no input is newer than it. */
function isFresh(app) {
  const built = mtimeMs(bundleFile(app));
  if (Number.isNaN(built)) return false;
  let inputs;
  try {
    inputs = JSON.parse(fs.readFileSync(inputsFile(app), 'utf8'));
  } catch {
    return false;
  }
  for (const f of inputs) {
    const t = mtimeMs(path.join(ROOT, f));
    // A vanished input (a file deleted or renamed) also means the bundle is stale.
    if (!(t <= built) && !(f === 'node_modules/.package-lock.json' && Number.isNaN(t))) return false;
  }
  return true;
}

module.exports = { APPS, ROOT, buildApp, bundleFile, isFresh };

if (require.main === module) {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((a) => !(a in APPS));
  if (unknown.length) {
    process.stderr.write(`bundle: unknown app ${unknown.join(', ')} (known: ${Object.keys(APPS).join(', ')})\n`);
    process.exit(2);
  }
  const apps = wanted.length ? wanted : Object.keys(APPS);
  const t0 = Date.now();
  Promise.all(apps.map(buildApp)).then(
    () => process.stdout.write(`bundle: ${apps.join(', ')} built in ${Date.now() - t0} ms\n`),
    (e) => {
      process.stderr.write(`bundle: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
