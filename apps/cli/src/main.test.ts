// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './main';
import { iofleet } from './testing/run-iofleet';

const run = promisify(execFile);

describe('iofleet command', () => {
  it('lists every registered subcommand in --help', () => {
    const program = buildProgram();
    const help = program.helpInformation();
    for (const c of program.commands) expect(help).toContain(c.name());
    expect(help).toContain('Usage: iofleet');
  });

  it('runs through the npx shim and rejects an unknown command with an error: line and exit 2 (usage)', async () => {
    const err = await iofleet(['no-such-command'], { timeout: 30_000 }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/^error: /m);
    expect(err.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('every launcher works from a directory outside the repository', async () => {
    const APPS = join(__dirname, '..', '..');
    const opts = { cwd: tmpdir(), timeout: 60_000 };
    expect((await iofleet(['--version'], opts)).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    for (const bin of ['host-agent/bin/iofleet-host-agent.cjs', 'scheduler/bin/iofleet-scheduler.cjs'])
      expect((await run(process.execPath, [join(APPS, bin), '--help'], opts)).stdout).toMatch(/^iofleet /);
  });

  it('exits 2 on a usage error (a missing argument), naming it', async () => {
    const err = await iofleet(['simulate'], { timeout: 30_000 }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/^error: missing required argument 'scenario\.yaml'/);
  });

  it('bench startup times --version, --help and a subcommand help beside node -e 0', async () => {
    const { stdout } = await iofleet(['bench', 'startup', '--runs', '1', '--json'], {
      timeout: 120_000,
    });
    const r = JSON.parse(stdout);
    expect(Object.keys(r.medianMs)).toEqual(['nodeFloor', 'version', 'help', 'simulateHelp']);
    for (const v of Object.values(r.medianMs)) expect(v).toBeGreaterThan(0);
  });
});
