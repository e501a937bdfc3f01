// SPDX-License-Identifier: Apache-2.0
// The scheduler process refuses a numeric flag (or the environment variable standing in for it)
// out of range before it connects to anything: exit 1 and one line naming the flag, the range and
// the value. The Redis URL points at a closed loopback port; nothing gets that far.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const MAIN = join(__dirname, 'main.ts');
const run = promisify(execFile);

function scheduler(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, ['--conditions=@iofleet/source', '--import', 'tsx', MAIN, ...args], {
    timeout: 30_000,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

describe('scheduler flags', () => {
  it.each([
    [['--heartbeat-ms', '0'], {}, "--heartbeat-ms must be an integer from 1 to 3,600,000, got '0'"],
    [['--lock-ms', '99'], {}, "--lock-ms must be an integer from 100 to 3,600,000, got '99'"],
    [['--startup-wait-ms=-1'], {}, "--startup-wait-ms must be an integer from 0 to 3,600,000, got '-1'"],
    [
      [],
      { IOFLEET_CONCURRENCY: '2.5' },
      "IOFLEET_CONCURRENCY (for --concurrency) must be an integer from 1 to 1,024, got '2.5'",
    ],
  ])('%j %j: %s', async (args, env, message) => {
    const err = await scheduler(['--redis', 'redis://127.0.0.1:1', ...args], env).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toBe(`error: ${message}\n`);
  });
});
