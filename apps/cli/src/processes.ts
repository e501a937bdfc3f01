// SPDX-License-Identifier: Apache-2.0
// Starting the other iofleet processes (host agents, schedulers) from the CLI: run an app through
// its launcher (apps/<app>/bin, which runs the app's bundle from any directory) and wait for the
// line that says it is ready. Every process is pushed onto `procs` as soon as it exists, so a caller
// can stop them all whatever happens.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { untilReady } from '@iofleet/jobs';
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
  return untilReady(p, ready, main, START_TIMEOUT_MS).catch((e: Error) => {
    throw new CliError(e.message);
  });
}

/** True once `pid` has died (a zombie waiting to be reaped counts) or is gone; Linux's /proc. */
function dead(pid: number | undefined): boolean {
  if (pid === undefined) return true;
  try {
    // /proc/<pid>/stat: "pid (comm) S ...", the state after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/**
 * SIGKILLs the processes of `procs` still running and returns once they are dead (at most
 * `waitMs`), synchronously, so a signal handler can call it and still exit with its own status
 * before any other event runs: a SIGKILLed child is not gone at once (on a busy machine it runs on
 * for a while), and a command that says it stopped its processes must not leave before they are.
 */
export function killNow(procs: readonly ChildProcess[], waitMs = 5_000): void {
  const live = procs.filter((p) => p.exitCode === null && p.signalCode === null);
  for (const p of live) p.kill('SIGKILL');
  const end = Date.now() + waitMs;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < end && !live.every((p) => dead(p.pid))) Atomics.wait(nap, 0, 0, 2);
}

/**
 * Sends `signal` to the processes of `procs` still running and resolves once they have exited, or
 * after `waitMs`: a process signalled is not gone yet (on a busy machine a SIGKILLed child runs on
 * for a while), and a caller that says its processes are stopped must not return before they are.
 */
export async function killAll(
  procs: readonly ChildProcess[],
  signal: NodeJS.Signals = 'SIGKILL',
  waitMs = 5_000,
): Promise<void> {
  const live = procs.filter((p) => p.exitCode === null && p.signalCode === null);
  for (const p of live) p.kill(signal);
  const exited = (p: ChildProcess) =>
    new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(live.map(exited)),
    new Promise((r) => {
      timer = setTimeout(r, waitMs);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * When profiling (PROFILE_DIR), asks `procs` to exit (SIGTERM) and waits, bounded, so they write
 * their profiles before the caller kills what is left; otherwise does nothing.
 */
export async function letProfilesBeWritten(procs: readonly ChildProcess[], waitMs = 15_000): Promise<void> {
  if (PROFILE_DIR) await killAll(procs, 'SIGTERM', waitMs);
}
