// SPDX-License-Identifier: Apache-2.0
// `iofleet plugin new` outside the workspace, as a plugin author runs it: the package it writes
// carries @iofleet/sdk (the contract, no dependencies) and @iofleet/sdk-testing (the conformance
// suite, with the runtime and core inlined) packed from this repository (npm pack, through
// tools/pack.cjs), installs with npm in a folder with no monorepo around it, passes the SDK's conformance suite and its typecheck
// there, and loads into `iofleet host run --plugin` from that folder. npm installs from its cache
// (--prefer-offline): the packages are those of this repository's own lock file.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { iofleet } from '../testing/run-iofleet';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'iofleet-plugin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a plugin package outside the workspace', () => {
  it('installs the packed SDK alone, passes conformance and typecheck, and runs in iofleet host run', async () => {
    const made = await iofleet(['plugin', 'new', 'demo'], { cwd: dir, timeout: 240_000 });
    expect(made.stdout).toMatch(/next: \(cd demo && npm install && npm test\)/);
    const pkgDir = join(dir, 'demo');
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    expect(pkg.dependencies['@iofleet/sdk']).toMatch(/^file:\.\/vendor\/iofleet-sdk-\d+\.\d+\.\d+\.tgz$/);
    expect(pkg.devDependencies['@iofleet/sdk-testing']).toMatch(
      /^file:\.\/vendor\/iofleet-sdk-testing-\d+\.\d+\.\d+\.tgz$/,
    );

    const tarFiles = async (spec: string) =>
      (await run('tar', ['tzf', join(pkgDir, spec.slice('file:'.length))])).stdout.split('\n');
    const contract = await tarFiles(pkg.dependencies['@iofleet/sdk']);
    for (const f of ['package/LICENSE', 'package/README.md', 'package/dist/index.js', 'package/dist/index.mjs'])
      expect(contract).toContain(f);
    expect(contract.some((f) => f.includes('/core/'))).toBe(false); // the contract carries no model
    const testing = await tarFiles(pkg.devDependencies['@iofleet/sdk-testing']);
    for (const f of ['package/LICENSE', 'package/dist/index.mjs', 'package/dist/index.js'])
      expect(testing).toContain(f);
    expect(testing.some((f) => f.startsWith('package/types/packages/core/src/'))).toBe(true);
    expect(testing.some((f) => f.startsWith('package/types/packages/sdk/'))).toBe(false); // the contract is shared

    const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    const npm = (...args: string[]) => run('npm', args, { cwd: pkgDir, env, timeout: 300_000 });
    await npm('install', '--prefer-offline', '--no-audit', '--no-fund');
    const installed = (p: string) =>
      JSON.parse(readFileSync(join(pkgDir, 'node_modules', '@iofleet', p, 'package.json'), 'utf8'));
    expect(installed('sdk').dependencies).toEqual({}); // the contract depends on nothing
    expect(installed('sdk-testing').dependencies).toEqual({}); // nothing else of the monorepo
    expect(installed('sdk-testing').peerDependencies['@iofleet/sdk']).toBe(installed('sdk').version);
    const test = await npm('test');
    expect(test.stdout).toMatch(/Tests\s+\S*10 passed/);
    await npm('run', 'typecheck');

    writeFileSync(
      join(dir, 'host.yaml'),
      'name: tiny\ncpu: { vendor: intel, coresPerSocket: 4 }\nnumaNodes: [{ id: 0, memoryGiB: 16 }]\npci:\n' +
        '  - { bdf: "00:01.0", kind: rootPort, acs: true }\n' +
        '  - { bdf: "01:00.0", kind: endpoint, parent: "00:01.0", class: demo, plugin: demo }\n',
    );
    const r = await iofleet(
      [
        'host',
        'run',
        'host.yaml',
        '--workload',
        'demo',
        '--plugin',
        './demo/src/index.ts',
        '--modes',
        'strict',
        '--duration',
        '1',
        '--json',
      ],
      { cwd: dir, timeout: 120_000 },
    );
    const row = JSON.parse(r.stdout).results[0];
    expect(row).toMatchObject({ mode: 'strict', plugin: 'demo', faults: 0 });
    expect(row.iops).toBeGreaterThan(0);
  }, 600_000);
});
