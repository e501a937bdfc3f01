// SPDX-License-Identifier: Apache-2.0
// `iofleet bench startup`: how long the `iofleet` command takes to answer --version, --help and a
// subcommand's --help (the target is under 0.5 s), each started `runs` times as a new process through
// its launcher, interleaved with `node -e 0` — the floor every Node.js command pays — so that the
// figures and their ratio to the floor come from the same moments of a shared machine.
import { spawnSync } from 'node:child_process';
import { CliError } from './cli-error';
import { CLI_MAIN as BIN } from './paths';

const CASES: Readonly<Record<string, readonly string[]>> = {
  nodeFloor: ['-e', '0'],
  version: [BIN, '--version'],
  help: [BIN, '--help'],
  simulateHelp: [BIN, 'simulate', '--help'],
};

export interface StartupBenchResult {
  runs: number;
  /** Median wall time per case, ms. */
  medianMs: Record<string, number>;
  p90Ms: Record<string, number>;
}

function timeOnce(args: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new CliError(`${args.join(' ')} exited ${r.status}: ${r.stderr.split('\n')[0]}`);
  return ms;
}

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

export function benchStartup(runs: number): StartupBenchResult {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(CASES).map((k) => [k, []]));
  timeOnce(CASES.version!); // builds the bundle if a source changed, and warms the file cache
  for (let i = 0; i < runs; i++) for (const [k, args] of Object.entries(CASES)) times[k]!.push(timeOnce(args));
  const map = (f: (xs: number[]) => number) => Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, f(xs)]));
  return { runs, medianMs: map((xs) => quantile(xs, 0.5)), p90Ms: map((xs) => quantile(xs, 0.9)) };
}
