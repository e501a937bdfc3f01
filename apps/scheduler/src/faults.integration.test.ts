// SPDX-License-Identifier: Apache-2.0
// Fault tests with real processes: a real redis-server (append-only), host-agent processes and
// scheduler processes on loopback. A scheduler is SIGKILLed mid-work, an agent is SIGKILLed during
// attaches (its hosts go down: VMs there are placed again or reported, then it comes back), Redis
// is SIGKILLed and restarted from its append-only file. Each kill happens when Redis shows the
// work in flight (VM records part-way), never after a fixed delay. Each time every accepted
// request must end running or failed with a reason, and no device may ever be assigned to two
// VMs — in Redis or on the agents.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetStore, freePort, type RedisProcess, startRedisServer, untilReady, type VmRecord } from '@iofleet/jobs';
import { AgentClient, SchedulerApi, VmState, type VmStatus } from '@iofleet/proto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { testVmSpec } from './testing/vm-spec';

const ROOT = join(__dirname, '..', '..', '..');
// The mains themselves (not the bin wrappers), so SIGKILL hits the process that holds the work.
const AGENT_BIN = join(ROOT, 'apps', 'host-agent', 'src', 'main.ts');
const SCHED_BIN = join(ROOT, 'apps', 'scheduler', 'src', 'main.ts');
const TEMPLATE = join(__dirname, '..', 'test', 'fixtures', 'fault-host.yaml');
const DEVICES_PER_AGENT = 12; // 2 hosts x 6 drives

const procs: ChildProcess[] = [];
const closers: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

async function spawnReady(bin: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--conditions=@iofleet/source', '--import', 'tsx', bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  await untilReady(proc, ready, bin, 60_000);
  return proc;
}

const killed = (p: ChildProcess) =>
  new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

interface Fleet {
  redis: RedisProcess;
  redisDir: string;
  agentPorts: number[];
  agents: ChildProcess[];
  schedulers: { proc: ChildProcess; address: string }[];
}

async function startAgent(port: number, i: number): Promise<ChildProcess> {
  return spawnReady(
    AGENT_BIN,
    ['--template', TEMPLATE, '--hosts', '2', '--prefix', `agent${i}`, '--listen', `127.0.0.1:${port}`],
    /listening on/,
  );
}

async function startSchedulerProc(redisUrl: string, agents: string[]) {
  const port = await freePort();
  const proc = await spawnReady(
    SCHED_BIN,
    [
      '--redis',
      redisUrl,
      '--agents',
      agents.join(','),
      '--listen',
      `127.0.0.1:${port}`,
      '--heartbeat-ms',
      '300',
      '--lock-ms',
      '1000',
    ],
    /scheduler listening on/,
  );
  return { proc, address: `127.0.0.1:${port}` };
}

async function fleet(schedulers: number): Promise<Fleet> {
  const redisDir = mkdtempSync(join(tmpdir(), 'iofleet-aof-'));
  closers.push(() => rmSync(redisDir, { recursive: true, force: true }));
  const redis = await startRedisServer({ appendOnlyDir: redisDir });
  closers.push(() => redis.stop());
  const agentPorts = [await freePort(), await freePort()];
  const agents = await Promise.all(agentPorts.map((p, i) => startAgent(p, i)));
  const addrs = agentPorts.map((p) => `127.0.0.1:${p}`);
  const scheds = [];
  for (let s = 0; s < schedulers; s++) scheds.push(await startSchedulerProc(redis.url, addrs));
  return { redis, redisDir, agentPorts, agents, schedulers: scheds };
}

function schedClient(address: string): SchedulerApi {
  const c = new SchedulerApi(address, { deadlineMs: 10_000 });
  closers.push(() => c.close());
  return c;
}
const spec = testVmSpec('nvme', 'disk');

async function submitAll(c: SchedulerApi, prefix: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  await Promise.all(ids.map((id) => c.submit({ requestId: `req-${id}`, vmId: id, spec })));
  return ids;
}

/** Resolves once Redis shows work in flight: some of `ids` past 'pending' (and `pred` holds for one). */
async function inFlight(url: string, ids: string[], pred: (r: VmRecord) => boolean, timeoutMs = 60_000) {
  const r = new Redis(url, { maxRetriesPerRequest: 3 });
  try {
    const store = new FleetStore(r);
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const recs = (await Promise.all(ids.map((id) => store.getVm(id)))).filter((x): x is VmRecord => !!x);
      const terminal = recs.filter((x) => x.state === 'running' || x.state === 'failed').length;
      if (recs.some(pred) && terminal < ids.length) return;
      await new Promise((t) => setTimeout(t, 5));
    }
    throw new Error('no work in flight was seen in Redis');
  } finally {
    r.disconnect();
  }
}

async function waitTerminal(c: SchedulerApi, ids: string[], timeoutMs = 90_000): Promise<Map<string, VmStatus>> {
  const end = Date.now() + timeoutMs;
  const out = new Map<string, VmStatus>();
  while (Date.now() < end) {
    for (const id of ids) {
      if (out.has(id)) continue;
      const r = await c.get(id).catch(() => null);
      if (r && [VmState.VM_STATE_RUNNING, VmState.VM_STATE_FAILED].includes(r.state)) out.set(id, r);
    }
    if (out.size === ids.length) return out;
    await new Promise((t) => setTimeout(t, 200));
  }
  throw new Error(`not terminal: ${ids.filter((i) => !out.has(i)).join(', ')}`);
}

/** Device -> VM on the agents, and every device at most once. */
async function agentOwners(ports: number[]): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  for (const p of ports) {
    const c = new AgentClient(`127.0.0.1:${p}`);
    try {
      for (const h of await c.inventory())
        for (const d of h.devices) if (d.ownerVmId) owners.set(`${h.hostId}/${d.id}`, d.ownerVmId);
    } finally {
      c.close();
    }
  }
  return owners;
}

async function redisOwners(url: string): Promise<Map<string, string>> {
  const r = new Redis(url, { maxRetriesPerRequest: 3 });
  try {
    const store = new FleetStore(r);
    const out = new Map<string, string>();
    for (let a = 0; a < 2; a++)
      for (let h = 0; h < 2; h++) {
        const host = `agent${a}-000${h}`;
        for (const [d, vm] of Object.entries(await store.owners(host))) out.set(`${host}/${d}`, vm);
      }
    return out;
  } finally {
    r.disconnect();
  }
}

/** The invariants every test ends on; waits for reconciliation to converge first. */
async function expectConsistent(f: Fleet, statuses: Map<string, VmStatus>) {
  const running = [...statuses].filter(([, s]) => s.state === VmState.VM_STATE_RUNNING).map(([id]) => id);
  for (const [, s] of statuses) if (s.state === VmState.VM_STATE_FAILED) expect(s.reason).not.toBe('');
  let last = '';
  for (let i = 0; i < 50; i++) {
    const [agent, redis] = await Promise.all([agentOwners(f.agentPorts), redisOwners(f.redis.url)]);
    const a = JSON.stringify([...agent].sort());
    const r = JSON.stringify([...redis].sort());
    last = `agents ${a}\nredis  ${r}`;
    const runningOnAgents = new Set(agent.values());
    if (a === r && running.every((vm) => runningOnAgents.has(vm)) && runningOnAgents.size === running.length) {
      // One VM per device is structural in the maps; no VM may hold devices on two hosts either.
      expect(new Set(agent.values()).size).toBe(agent.size);
      return;
    }
    await new Promise((t) => setTimeout(t, 300));
  }
  throw new Error(`agents and Redis disagree:\n${last}`);
}

describe('faults with real processes', () => {
  it('a scheduler SIGKILLed mid-work: its jobs complete exactly once on the other', async () => {
    const f = await fleet(2);
    const [a, b] = f.schedulers;
    // Submits cut by the kill are re-sent below (to the other scheduler): their errors are expected.
    const submitted = submitAll(schedClient(a!.address), 'k', 30).catch(() => undefined);
    const ids = Array.from({ length: 30 }, (_, i) => `k-${i}`);
    // Killed while Redis shows placements part-way (some placed or attaching, not all final).
    await inFlight(f.redis.url, ids, (r) => r.state === 'placed' || r.state === 'attaching');
    a!.proc.kill('SIGKILL');
    await killed(a!.proc);
    await submitted;
    await submitAll(schedClient(b!.address), 'k', 30);
    const st = await waitTerminal(schedClient(b!.address), ids);
    const running = [...st.values()].filter((s) => s.state === VmState.VM_STATE_RUNNING).length;
    expect(running).toBe(2 * DEVICES_PER_AGENT);
    await expectConsistent(f, st);
  }, 180_000);

  it('an agent SIGKILLed during attaches: its hosts go down, VMs there are placed again or reported, and it comes back', async () => {
    const f = await fleet(1);
    const c = schedClient(f.schedulers[0]!.address);
    const ids = await submitAll(c, 'g', 16);
    // Killed while Redis shows a VM of its hosts placed or being attached.
    await inFlight(f.redis.url, ids, (r) => (r.hostId ?? '').startsWith('agent0-') && r.state !== 'failed');
    f.agents[0]!.kill('SIGKILL');
    await killed(f.agents[0]!);
    const st = await waitTerminal(c, ids);
    // Its hosts were marked down, and nothing runs there any more.
    const hosts = await c.listHosts();
    expect(hosts.filter((h) => h.hostId.startsWith('agent0-')).every((h) => !h.alive)).toBe(true);
    const onDead = [...st.values()].filter(
      (s) => s.state === VmState.VM_STATE_RUNNING && s.hostId.startsWith('agent0-'),
    );
    expect(onDead).toEqual([]);
    // Every VM that met the dead host says so: placed again (running on agent1) or reported failed.
    const met = [...st.values()].filter((s) => /host agent0-000\d is down/.test(s.reason));
    expect(met.length).toBeGreaterThan(0);
    for (const s of met)
      expect(s.state === VmState.VM_STATE_FAILED || s.hostId.startsWith('agent1-'), s.vmId).toBe(true);
    // Restarted, its hosts come back up and take VMs again.
    f.agents[0] = await startAgent(f.agentPorts[0]!, 0);
    const back = Date.now() + 30_000;
    for (;;) {
      const h = await c.listHosts();
      if (h.filter((x) => x.hostId.startsWith('agent0-')).every((x) => x.alive)) break;
      if (Date.now() > back) throw new Error('agent0 hosts did not come back up');
      await new Promise((t) => setTimeout(t, 200));
    }
    const later = await submitAll(c, 'h', 4);
    const st2 = await waitTerminal(c, later);
    expect([...st2.values()].some((s) => s.state === VmState.VM_STATE_RUNNING && s.hostId.startsWith('agent0-'))).toBe(
      true,
    );
    await expectConsistent(f, new Map([...st, ...st2]));
  }, 180_000);

  it('Redis SIGKILLed and restarted from its append-only file: no accepted request is lost', async () => {
    const f = await fleet(1);
    const c = schedClient(f.schedulers[0]!.address);
    // Redis is watched from before the first submit: ten placements can all end before a watch
    // started after the submits sees one of them.
    const ids = Array.from({ length: 10 }, (_, i) => `r-${i}`);
    const seen = inFlight(f.redis.url, ids, (r) => r.state !== 'pending');
    await submitAll(c, 'r', ids.length);
    await seen;
    const port = f.redis.port;
    await f.redis.kill();
    f.redis = await startRedisServer({ appendOnlyDir: f.redisDir, port });
    closers.push(() => f.redis.stop());
    const st = await waitTerminal(c, ids);
    expect(st.size).toBe(ids.length);
    await expectConsistent(f, st);
  }, 180_000);
});
