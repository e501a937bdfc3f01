// SPDX-License-Identifier: Apache-2.0
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { ChildNotReadyError, untilReady } from './child-ready';

const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/** A node child running `code`, with piped output. */
function node(code: string): ChildProcess {
  const p = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  return p;
}

describe('untilReady', () => {
  it('resolves with the output so far once the ready line has come, across chunks', async () => {
    const p = node(
      "process.stdout.write('start\\nlisten'); setTimeout(() => console.log('ing on 1'), 50); setInterval(() => {}, 1000);",
    );
    await expect(untilReady(p, /listening on \d+/, 'child', 10_000)).resolves.toBe('start\nlistening on 1\n');
  });

  it('rejects with the exit code and the first stderr line when the child exits first', async () => {
    const p = node("console.error('bad flag --x\\nusage: ...'); process.exit(3);");
    const e = await untilReady(p, /ready/, 'main.ts', 10_000).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ChildNotReadyError);
    expect((e as ChildNotReadyError).message).toBe('main.ts exited 3: bad flag --x');
    expect((e as ChildNotReadyError).stderr).toContain('usage: ...');
  });

  it('rejects after the bound when the ready line never comes', async () => {
    const p = node("console.error('still booting'); setInterval(() => {}, 1000);");
    const e = await untilReady(p, /ready/, 'slow', 3_000).catch((x: unknown) => x);
    expect((e as ChildNotReadyError).reason).toBe('timeout');
    expect((e as ChildNotReadyError).message).toBe('slow did not start within 3 s: still booting');
  });
});
