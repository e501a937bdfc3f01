// SPDX-License-Identifier: Apache-2.0
// Integration: `iofleet simulate --distributed` (a real redis-server, host-agent, scheduler and
// worker processes, gRPC and BullMQ) agrees with the embedded run of the same scenario: the same
// placements (the assignment digest of every VM's host and devices) and the same figures — on the
// full-size example scenarios with the machine's cores kept busy by other processes, run after run
// on a small one, against a Redis that still holds other runs' data, and with the device I/O fanned
// out to workers. It leaves no temporary folder, no process and no Redis key behind, also when
// interrupted mid-run. One Redis serves every case (each run takes its own namespace in it).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisProcess, startRedisServer } from '@iofleet/jobs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN } from '../paths';
import { iofleet } from '../testing/run-iofleet';

const SCENARIO = join(__dirname, '..', '..', 'test', 'fixtures', 'small-scenario.yaml');
const EXAMPLES = join(__dirname, '..', '..', '..', '..', 'examples', 'scenarios');
/**
 * Every example scenario at its full size (the trace replay's 8,152 VMs included; x86-to-arm's
 * variants move the fleet to other host templates): a new example is covered by being there.
 */
const FULL_SIZE = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => join(EXAMPLES, f));

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
  return JSON.parse((await iofleet(['simulate', ...args, '--json', '--quiet'], { timeout, env: ENV })).stdout);
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
const embeddedFull = new Map<string, Report>();
const burners: ChildProcess[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
  embedded = await simulate([SCENARIO], 120_000);
  for (const f of FULL_SIZE) embeddedFull.set(f, await simulate([f], 300_000));
}, 900_000);
afterAll(async () => {
  for (const b of burners) if (b.exitCode === null) b.kill('SIGKILL');
  await redis?.stop();
  rmSync(TMP, { recursive: true, force: true });
});

describe('iofleet simulate --distributed', () => {
  it("gives the embedded placements and figures on every example scenario, with the cores kept busy, beside another run's keys", async () => {
    expect(FULL_SIZE.map((f) => f.slice(EXAMPLES.length + 1))).toEqual(
      expect.arrayContaining([
        'gpu-trace-replay.yaml',
        'iotlb-sizing.yaml',
        'pt-vs-translated.yaml',
        'x86-to-arm.yaml',
      ]),
    );
    const url = `${redis.url}/2`;
    const before = distDirs();
    // Another run's records in the same Redis (as a crashed earlier run leaves them): never read, never deleted.
    const r = new Redis(url, { maxRetriesPerRequest: 1 });
    const stale = 'iofleet:run-stale-000000:v0';
    await r.hset(`${stale}:vm:vm-0`, { vmId: 'vm-0', state: 'running', hostId: 'gpu-node-0000', deviceIds: '[]' });
    await r.hset(`${stale}:owner:gpu-node-0000`, { '0000:17:00.0': 'vm-0' });
    burners.push(...burnCpu(3, 1200));
    try {
      for (const f of FULL_SIZE)
        expectSame(await simulate([f, '--distributed', '--redis', url], 900_000), embeddedFull.get(f)!);
      expect((await r.keys('iofleet:run-*')).sort()).toEqual([`${stale}:owner:gpu-node-0000`, `${stale}:vm:vm-0`]);
    } finally {
      for (const b of burners) b.kill('SIGKILL');
      r.disconnect();
    }
    // Every temporary folder it made is gone.
    expect([...distDirs()].filter((d) => !before.has(d))).toEqual([]);
  }, 1_800_000);

  it('gives the same results run after run (agents in other shards), and leaves no keys behind', async () => {
    const url = `${redis.url}/0`;
    expectSame(await simulate([SCENARIO, '--distributed', '--redis', url, '--agents', '2']), embedded);
    const again = await simulate([SCENARIO, '--distributed', '--redis', url, '--agents', '3']);
    expect(again.notes.join(' ')).toMatch(/distributed/);
    expectSame(again, embedded);
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
    expectSame(
      await simulate([SCENARIO, '--full', '--distributed', '--redis', `${redis.url}/3`, '--workers', '2']),
      full,
    );
  }, 1_500_000);

  it('interrupted (SIGINT) once placement is under way in Redis: exits 130, removes its folders, stops its processes', async () => {
    const url = `${redis.url}/1`;
    const before = distDirs();
    const p = spawn(process.execPath, [CLI_MAIN, 'simulate', SCENARIO, '--distributed', '--redis', url, '--quiet'], {
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
