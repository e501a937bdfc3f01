// SPDX-License-Identifier: Apache-2.0
// Starting the other iofleet processes (host agents, schedulers) from the CLI: run an app through
// its launcher (apps/<app>/bin, which runs the app's bundle from any directory) and wait for the
// line that says it is ready. Every process is pushed onto `procs` as soon as it exists, so a caller
// can stop them all whatever happens.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { CliError } from './cli-error';
import { REPO_ROOT } from './paths';

const APPS = join(REPO_ROOT, 'apps');
export const AGENT_MAIN = join(APPS, 'host-agent', 'bin', 'iofleet-host-agent.cjs');
export const SCHED_MAIN = join(APPS, 'scheduler', 'bin', 'iofleet-scheduler.cjs');
/** How long a process may take to say it is ready. */
export const START_TIMEOUT_MS = 120_000;

/**
 * IOFLEET_PROFILE_DIR=<dir>: every process started here writes a V8 CPU profile there when it exits
 * normally (node --cpu-prof; benchmarks then stop their processes with SIGTERM before SIGKILL).
 */
export const PROFILE_DIR = process.env.IOFLEET_PROFILE_DIR;
const profileFlags = () => (PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []);

/** Starts `main` with `args`; resolves with its output so far once it matches `ready`. */
export function startMain(
  main: string,
  args: readonly string[],
  ready: RegExp,
  procs: ChildProcess[],
): Promise<string> {
  const p = spawn(process.execPath, [...profileFlags(), main, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(p);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const t = setTimeout(
      () => reject(new CliError(`${main} did not start within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    p.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (ready.test(out)) {
        clearTimeout(t);
        resolve(out);
      }
    });
    p.stderr!.on('data', (d: Buffer) => {
      err += d;
    });
    p.on('exit', (code) => {
      clearTimeout(t);
      reject(new CliError(`${main} exited ${code}: ${err.trim().split('\n')[0] ?? ''}`));
    });
  });
}

/**
 * When profiling (PROFILE_DIR), asks `procs` to exit (SIGTERM) and waits, bounded, so they write
 * their profiles before the caller kills what is left; otherwise does nothing.
 */
export async function letProfilesBeWritten(procs: readonly ChildProcess[], waitMs = 15_000): Promise<void> {
  if (!PROFILE_DIR) return;
  const live = procs.filter((p) => p.exitCode === null && p.signalCode === null);
  for (const p of live) p.kill('SIGTERM');
  const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null ? r() : p.once('exit', () => r())));
  await Promise.race([Promise.all(live.map(exited)), new Promise((r) => setTimeout(r, waitMs))]);
}
