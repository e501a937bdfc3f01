// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './main';

const run = promisify(execFile);
const BIN = join(__dirname, '..', 'bin', 'iofleet.cjs');

describe('iofleet command', () => {
  it('lists every registered subcommand in --help', () => {
    const program = buildProgram();
    const help = program.helpInformation();
    for (const c of program.commands) expect(help).toContain(c.name());
    expect(help).toContain('Usage: iofleet');
  });

  it('runs through the npx shim and rejects an unknown command with an error: line and exit 2 (usage)', async () => {
    const err = await run(process.execPath, [BIN, 'no-such-command'], { timeout: 30_000 }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/^error: /m);
    expect(err.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
