// SPDX-License-Identifier: Apache-2.0
// Integration: `iofleet simulate --distributed` (a real redis-server, host-agent, scheduler and
// worker processes, gRPC and BullMQ) agrees with the embedded run of the same scenario: the same
// placements (the assignment digest of every VM's host and devices) and the same figures — every
// run, with the machine's cores kept busy by other processes, against a Redis that still holds
// an earlier run's data, and with the device I/O fanned out to workers. It leaves no temporary
// folder, no process and no Redis key behind, also when interrupted mid-run.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RedisProcess, startRedisServer } from '@iofleet/jobs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'iofleet.cjs');
const SCENARIO = join(__dirname, '..', '..', 'test', 'fixtures', 'small-scenario.yaml');

interface Report {
  notes: string[];
  variants: { name: string; placement: Record<string, unknown>; io: Record<string, number | string>[] }[];
}

// The runs' temporary folders go to a folder of this test's own (TMPDIR), not the machine's /tmp
// that other test runs share, so "nothing left behind" is about these runs only.
const TMP = mkdtempSync(join(tmpdir(), 'iofleet-dist-test-'));
const ENV = { ...process.env, TMPDIR: TMP };
const distDirs = () => new Set(readdirSync(TMP).filter((d) => d.startsWith('iofleet-dist-')));

async function simulate(args: string[], timeout = 600_000): Promise<Report> {
  return JSON.parse(
    (await run(process.execPath, [BIN, 'simulate', ...args, '--json', '--quiet'], { timeout, env: ENV })).stdout,
  );
}

function expectSame(dist: Report, emb: Report) {
  expect(dist.variants.map((v) => v.name)).toEqual(emb.variants.map((v) => v.name));
  for (const [i, v] of dist.variants.entries()) {
    const e = emb.variants[i]!;
    expect(v.placement, v.name).toEqual(e.placement); // includes the assignment digest
    expect(v.io, v.name).toEqual(e.io);
  }
}

/** Processes that keep both cores busy (bounded: they stop themselves after `seconds`). */
function burnCpu(n: number, seconds: number): ChildProcess[] {
  const code = `const end = Date.now() + ${seconds * 1000}; while (Date.now() < end) {}`;
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', code], { stdio: 'ignore' }));
}

let redis: RedisProcess;
let embedded: Report;
const burners: ChildProcess[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
  embedded = await simulate([SCENARIO], 120_000);
}, 180_000);
afterAll(async () => {
  for (const b of burners) if (b.exitCode === null) b.kill('SIGKILL');
  await redis?.stop();
  rmSync(TMP, { recursive: true, force: true });
});

describe('iofleet simulate --distributed', () => {
  it('gives the embedded placements and figures, run after run, with the cores kept busy by other processes', async () => {
    const before = distDirs();
    const first = await simulate([SCENARIO, '--distributed', '--agents', '2']);
    expect(first.notes.join(' ')).toMatch(/distributed/);
    expectSame(first, embedded);
    burners.push(...burnCpu(3, 600));
    try {
      expectSame(await simulate([SCENARIO, '--distributed', '--agents', '3']), embedded);
    } finally {
      for (const b of burners) b.kill('SIGKILL');
    }
    // Every temporary folder it made is gone.
    expect([...distDirs()].filter((d) => !before.has(d))).toEqual([]);
  }, 1_500_000);

  it('reuses a Redis that holds an earlier run: no hang, the same results, and no keys left behind', async () => {
    const url = `${redis.url}/0`;
    const a = await simulate([SCENARIO, '--distributed', '--redis', url]);
    const b = await simulate([SCENARIO, '--distributed', '--redis', url]);
    expectSame(a, embedded);
    expectSame(b, embedded);
    const r = new Redis(url, { maxRetriesPerRequest: 1 });
    try {
      // Each run's scheduler namespace (iofleet:<run id>:v<n>) was deleted at its end.
      expect(await r.keys('iofleet:run-*')).toEqual([]);
    } finally {
      r.disconnect();
    }
  }, 1_500_000);

  it('a variant that moves the fleet from x86 to Arm hosts gives the embedded placements and figures', async () => {
    const arm = join(__dirname, '..', '..', 'test', 'fixtures', 'x86-to-arm-small.yaml');
    const emb = await simulate([arm], 120_000);
    // x86 (lazy), Arm strict and Arm lazy: three different sets of figures to agree on.
    expect(new Set(emb.variants.map((v) => v.io[0]!.iops)).size).toBe(3);
    expectSame(await simulate([arm, '--distributed', '--agents', '2']), emb);
  }, 600_000);

  it('--full with --workers 2: the device I/O as jobs on worker processes gives the embedded --full figures', async () => {
    const full = await simulate([SCENARIO, '--full'], 300_000);
    expectSame(await simulate([SCENARIO, '--full', '--distributed', '--workers', '2']), full);
  }, 1_500_000);

  it('interrupted (SIGINT) once placement is under way in Redis: exits 130, removes its folders, stops its processes', async () => {
    const url = `${redis.url}/1`;
    const before = distDirs();
    const p = spawn(process.execPath, [BIN, 'simulate', SCENARIO, '--distributed', '--redis', url, '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: ENV,
    });
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    // Wait for work in flight: a VM record of this run in Redis (not a fixed delay).
    const r = new Redis(url, { maxRetriesPerRequest: 1 });
    try {
      const end = Date.now() + 300_000;
      while (Date.now() < end && (await r.keys('iofleet:run-*:vm:*')).length === 0)
        await new Promise((t) => setTimeout(t, 100));
      expect((await r.keys('iofleet:run-*:vm:*')).length).toBeGreaterThan(0);
      const dirs = [...distDirs()].filter((d) => !before.has(d));
      expect(dirs.length).toBeGreaterThan(0);
      p.kill('SIGINT');
      expect(await exited).toBe(130);
      expect([...distDirs()].filter((d) => !before.has(d))).toEqual([]);
      // No process of the run is left: none has the run's folders on its command line.
      const stray = readdirSync('/proc')
        .filter((x) => /^\d+$/.test(x))
        .filter((pid) => {
          try {
            const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
            return dirs.some((d) => cmd.includes(d));
          } catch {
            return false;
          }
        });
      expect(stray).toEqual([]);
    } finally {
      r.disconnect();
      if (p.exitCode === null) p.kill('SIGKILL');
    }
  }, 600_000);
});
