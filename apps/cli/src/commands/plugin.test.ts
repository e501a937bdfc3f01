// SPDX-License-Identifier: Apache-2.0
// `iofleet plugin new` generates a package in the workspace that typechecks and passes the
// conformance suite as generated (the test runs both in the generated package, then removes it).
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { iofleet } from '../testing/run-iofleet';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..', '..');
const NAME = `scaffold-probe-${process.pid}`;
const PARENT = join(ROOT, 'apps', 'cli', 'test-results');
const DIR = join(PARENT, NAME);
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe('iofleet plugin new', () => {
  it('scaffolds a package that typechecks and passes runDevicePluginConformance as generated', async () => {
    await iofleet(['plugin', 'new', NAME, '--dir', PARENT], { cwd: ROOT, timeout: 60_000 });
    expect(existsSync(join(DIR, 'src', 'index.ts'))).toBe(true);
    const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    const t = await run(process.execPath, [vitest, 'run'], {
      cwd: DIR,
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    expect(t.stdout).toMatch(/Tests\s+10 passed \(10\)/);
    expect(t.stdout).not.toMatch(/failed/);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', join(DIR, 'tsconfig.lib.json'), '--noEmit', '--composite', 'false'], {
      cwd: DIR,
      timeout: 120_000,
    });
  }, 300_000);

  it('refuses a bad name and an existing directory with one error: line', async () => {
    const e = await iofleet(['plugin', 'new', 'Bad_Name', '--dir', PARENT], { cwd: ROOT, timeout: 60_000 }).catch(
      (x) => x,
    );
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/^error: plugin name 'Bad_Name'/);
  });
});
