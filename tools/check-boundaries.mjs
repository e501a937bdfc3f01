#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Keeps the arrows of DESIGN.md true (STYLE.md item 1). For every workspace project it checks
//  1. its package.json dependencies on @iofleet/* packages are allowed by the rules below, and
//  2. every `@iofleet/...` import in its sources is a declared dependency (no hidden edges that
//     `nx graph` would not show), and no source imports another package's src/, dist/ or internal.
// Exit 1 with one line per violation.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Which @iofleet packages each project may depend on ('*' = any package, never an app). */
const RULES = {
  '@iofleet/vocabulary': [],
  '@iofleet/prng': [],
  '@iofleet/core': ['@iofleet/prng'],
  '@iofleet/acpi': ['@iofleet/prng'],
  '@iofleet/sdk': ['@iofleet/core', '@iofleet/vocabulary', '@iofleet/prng'], // its ./runtime and ./testing entries run devices on the real model
  // host's ./plugins entry lists the built-in plugins for every app (plugins depend on sdk only).
  '@iofleet/host': [
    '@iofleet/core',
    '@iofleet/acpi',
    '@iofleet/sdk',
    '@iofleet/plugin-nvme',
    '@iofleet/plugin-nic',
    '@iofleet/plugin-gpu',
    '@iofleet/plugin-pciebench',
  ],
  '@iofleet/placement': ['@iofleet/prng'],
  '@iofleet/telemetry': ['@iofleet/proto', '@iofleet/vocabulary'],
  '@iofleet/proto': [],
  '@iofleet/jobs': ['@iofleet/placement', '@iofleet/vocabulary'],
  '@iofleet/calibration': ['@iofleet/host'],
  '@iofleet/whatif': ['@iofleet/host', '@iofleet/placement', '@iofleet/core', '@iofleet/prng'],
};
const PLUGIN_RULE = ['@iofleet/sdk'];
const APP_RULE = '*';

function projects() {
  const out = [];
  for (const root of ['packages', 'packages/plugins', 'apps']) {
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root)) {
      const dir = join(root, name);
      const pj = join(dir, 'package.json');
      if (existsSync(pj)) out.push({ dir, pkg: JSON.parse(readFileSync(pj, 'utf8')), kind: root });
    }
  }
  return out;
}

function* sourceFiles(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'gen') continue;
    if (statSync(p).isDirectory()) yield* sourceFiles(p);
    else if (/\.(ts|mts|cts)$/.test(name)) yield p;
  }
}

const all = projects();
const apps = new Set(all.filter((p) => p.kind === 'apps').map((p) => p.pkg.name));
const violations = [];
for (const { dir, pkg, kind } of all) {
  const allowed = kind === 'apps' ? APP_RULE : kind === 'packages/plugins' ? PLUGIN_RULE : RULES[pkg.name];
  if (allowed === undefined) {
    violations.push(`${pkg.name}: no dependency rule in tools/check-boundaries.mjs (add one that follows DESIGN.md)`);
    continue;
  }
  const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((d) => d.startsWith('@iofleet/'));
  for (const d of deps) {
    // An app may start another app in its integration tests (devDependencies); a package never imports an app.
    if (apps.has(d) && (kind !== 'apps' || pkg.dependencies?.[d])) {
      violations.push(
        `${pkg.name}: depends on the app ${d}; ${kind === 'apps' ? 'only as a devDependency, for tests' : 'a package never imports an app'}`,
      );
    } else if (allowed !== '*' && !allowed.includes(d)) violations.push(`${pkg.name}: may not depend on ${d}`);
  }
  for (const file of sourceFiles(join(dir, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from '(@iofleet\/[a-z0-9-]+)(\/[^']*)?'/g)) {
      const [, name, sub] = m;
      if (name === pkg.name) continue;
      if (!deps.includes(name)) violations.push(`${file}: imports ${name} which ${pkg.name} does not declare`);
      if (sub && /\/(src|dist|internal)(\/|$)/.test(sub)) violations.push(`${file}: reaches into ${name}${sub}`);
    }
  }
}
for (const v of violations) console.error(`boundaries: ${v}`);
if (violations.length) process.exit(1);
console.log(`boundaries: ${all.length} projects follow DESIGN.md`);
