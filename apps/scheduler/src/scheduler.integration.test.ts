// SPDX-License-Identifier: Apache-2.0
// Integration: two scheduler instances on one real redis-server drive two host agents over
// loopback gRPC. No device may ever be given to two VMs.
import * as grpc from '@grpc/grpc-js';
import { type RunningAgent, startAgentServer } from '@iofleet/host-agent';
import { ToyBackend } from '@iofleet/host-agent/testing';
import { type RedisProcess, startRedisServer } from '@iofleet/jobs';
import { SchedulerApi, VmState } from '@iofleet/proto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningScheduler, startScheduler } from './scheduler';
import { testVmSpec } from './testing/vm-spec';

let redis: RedisProcess;
const agents: RunningAgent[] = [];
const schedulers: RunningScheduler[] = [];
const backends: ToyBackend[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  for (let a = 0; a < 2; a++) {
    const bs = [0, 1].map((h) => new ToyBackend(`a${a}h${h}`, { [`a${a}h${h}-gpu0`]: 1, [`a${a}h${h}-gpu1`]: 2 }));
    backends.push(...bs);
    agents.push(await startAgentServer(bs, { listen: '127.0.0.1:0' }));
  }
  for (let s = 0; s < 2; s++) {
    schedulers.push(
      await startScheduler({
        redisUrl: redis.url,
        agents: agents.map((a) => a.address),
        listen: '127.0.0.1:0',
        heartbeatMs: 300,
        lockMs: 2000,
      }),
    );
  }
}, 30_000);

afterAll(async () => {
  await Promise.all(schedulers.map((s) => s.stop()));
  await Promise.all(agents.map((a) => a.stop()));
  await redis.stop();
});

const client = (s: RunningScheduler) => new SchedulerApi(s.address);
const spec = testVmSpec('gpu', 'g');

async function waitTerminal(c: SchedulerApi, vmId: string) {
  for (let i = 0; i < 200; i++) {
    const status = await c.get(vmId);
    if ([VmState.VM_STATE_RUNNING, VmState.VM_STATE_FAILED].includes(status.state)) return status;
    await new Promise((t) => setTimeout(t, 50));
  }
  throw new Error(`${vmId} did not finish`);
}

describe('scheduler', () => {
  it('places VMs from two schedulers onto distinct devices; the rest fail with a reason', async () => {
    const cs = schedulers.map(client);
    const ids = Array.from({ length: 14 }, (_, i) => `vm${i}`);
    await Promise.all(ids.map((vmId, i) => cs[i % 2]!.submit({ requestId: `r-${vmId}`, vmId, spec })));
    // Resubmitting the same request id is idempotent; the same VM under another request id is ALREADY_EXISTS.
    await cs[1]!.submit({ requestId: 'r-vm0', vmId: 'vm0', spec });
    await expect(cs[1]!.submit({ requestId: 'other', vmId: 'vm0', spec })).rejects.toMatchObject({
      name: 'SchedulerCallError',
      method: 'SubmitVm',
      code: grpc.status.ALREADY_EXISTS,
      codeName: 'ALREADY_EXISTS',
      details: 'VM vm0 was already submitted by request r-vm0',
    });
    const statuses = await Promise.all(ids.map((id) => waitTerminal(cs[0]!, id)));
    const running = statuses.filter((s) => s.state === VmState.VM_STATE_RUNNING);
    expect(running).toHaveLength(8);
    for (const s of statuses.filter((x) => x.state === VmState.VM_STATE_FAILED))
      expect(s.reason).toMatch(/no host fits/);
    const owners = new Map<string, string>();
    for (const b of backends) for (const [d, vm] of b.owner) owners.set(d, vm);
    expect(owners.size).toBe(8);
    expect(new Set(owners.values()).size).toBe(8);
    for (const s of running) for (const d of s.deviceIds) expect(owners.get(d)).toBe(s.vmId);
    for (const c of cs) c.close();
  }, 30_000);

  it('rejects a malformed request with INVALID_ARGUMENT and an unknown VM with NOT_FOUND', async () => {
    const c = client(schedulers[0]!);
    await expect(c.submit({ requestId: 'x', vmId: 'bad', spec: { ...spec, vcpus: 0 } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'spec.vcpus must be positive',
    });
    await expect(c.get('nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: 'VM nope not found' });
    await expect(c.cancel('')).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'vm_id is required',
    });
    c.close();
  });

  it('records every reservation in Redis under one owner', async () => {
    const r = new Redis(redis.url);
    const keys = await r.keys('iofleet:owner:*');
    let n = 0;
    for (const k of keys) n += Object.keys(await r.hgetall(k)).length;
    expect(n).toBe(8);
    await r.quit();
  });
});
