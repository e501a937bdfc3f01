// SPDX-License-Identifier: Apache-2.0
// The CLI's tests run the `iofleet` command as a user does: a new Node.js process through its
// launcher (apps/cli/bin, which rebuilds the bundle when the sources are newer), with a bound.
import { type ExecFileOptions, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI_MAIN } from '../paths';

const execFileAsync = promisify(execFile);

/**
 * Runs `iofleet ...args`; resolves with its stdout and stderr, or rejects as execFile does (an
 * error with the exit `code`, `stdout` and `stderr`) on a non-zero exit or after `timeout` ms.
 */
export function iofleet(
  args: readonly string[],
  options: ExecFileOptions & { timeout: number },
): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [CLI_MAIN, ...args], { ...options, encoding: 'utf8' });
}
