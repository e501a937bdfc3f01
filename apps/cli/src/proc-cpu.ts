// SPDX-License-Identifier: Apache-2.0
// CPU times of processes from /proc (Linux), for the benchmarks that start other processes: what a
// scheduler or an agent spent per VM, and what a run's reaped children used. Elsewhere: NaN.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux architecture node runs on). */
const USER_HZ = 100;

/**
 * Fields of /proc/<pid>/stat after the command name: state is [0], ppid [1], utime [11], stime [12],
 * cutime [13], cstime [14] (proc(5), fields 3, 4, 14-17); undefined when unreadable.
 */
export function statFields(pid: number | 'self'): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a live process has used so far; NaN if it cannot be read. */
export function processCpuSeconds(pid: number | undefined): number {
  const f = pid === undefined ? undefined : statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / USER_HZ : Number.NaN;
}

/** CPU seconds this process's reaped children have used (NaN where /proc is not there). */
export function childrenCpuSeconds(): number {
  const f = statFields('self');
  return f ? (Number(f[13]) + Number(f[14])) / USER_HZ : Number.NaN;
}

/**
 * CPU seconds by role ('agent', 'scheduler', 'worker', 'redis') of the processes a distributed run
 * started, read just before they are stopped: where a run's CPU went (`bench distributed`).
 */
export const cpuByRole = new Map<string, number>();

/** Adds the CPU time the live processes among `procs` have used to `role` in cpuByRole. */
export function noteCpu(role: string, procs: readonly ChildProcess[]): void {
  for (const p of procs) {
    if (p.exitCode !== null || p.signalCode !== null) continue;
    const s = processCpuSeconds(p.pid);
    if (Number.isFinite(s)) cpuByRole.set(role, (cpuByRole.get(role) ?? 0) + s);
  }
}
