// SPDX-License-Identifier: Apache-2.0
// Waiting for a process started by another (an agent, a scheduler, a worker) to say it is ready:
// the one place the CLI's launcher and the apps' integration tests read a child's output for its
// ready line, give up after a bound, and report why a child that exited first did. Beside the
// redis-server launcher and freePort(), the other process plumbing the fleet's processes share.
import type { ChildProcess } from 'node:child_process';

/** A child process exited, or stayed silent for too long, before printing its ready line. */
export class ChildNotReadyError extends Error {
  override readonly name = 'ChildNotReadyError';
  constructor(
    /** What was started (its main, for the message). */
    readonly what: string,
    /** The exit code, the signal that ended it, or 'timeout'. */
    readonly reason: number | string,
    /** All the child wrote on stderr until then. */
    readonly stderr: string,
    timeoutMs: number,
  ) {
    const first = stderr.trim().split('\n')[0] ?? '';
    super(
      reason === 'timeout'
        ? `${what} did not start within ${timeoutMs / 1000} s${first ? `: ${first}` : ''}`
        : `${what} exited ${reason}: ${first}`,
    );
  }
}

/**
 * Resolves with all `proc` has written on stdout once that matches `ready`; rejects with a
 * ChildNotReadyError when it exits first or after `timeoutMs`. `proc` must have been spawned with
 * piped stdout and stderr. The caller keeps the process (and kills it): this only listens.
 */
export function untilReady(proc: ChildProcess, ready: RegExp, what: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const t = setTimeout(() => reject(new ChildNotReadyError(what, 'timeout', err, timeoutMs)), timeoutMs);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (ready.test(out)) {
        clearTimeout(t);
        resolve(out);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => {
      err += d;
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(t);
      reject(new ChildNotReadyError(what, code ?? signal ?? 'unknown', err, timeoutMs));
    });
  });
}
