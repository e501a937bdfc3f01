// SPDX-License-Identifier: Apache-2.0
// Integration: a real redis-server on a free loopback port.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetStore } from './fleet-store';
import { type RedisProcess, startRedisServer } from './redis-process';

let redis: RedisProcess;
const clients: Redis[] = [];
const client = () => {
  const c = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  redis = await startRedisServer();
}, 20_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
  await redis.stop();
});

describe('fleet store (real Redis)', () => {
  it('reserves atomically: concurrent reservations of one device from many connections yield exactly one owner', async () => {
    const stores = Array.from({ length: 8 }, () => new FleetStore(client()));
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => stores[i % stores.length]!.reserve('h1', `vm${i}`, ['gpu0', `nvme${i}`])),
    );
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    const owners = await stores[0]!.owners('h1');
    expect(Object.keys(owners).sort()).toEqual(['gpu0', `nvme${results.findIndex((r) => r.ok)}`].sort());
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.device === 'gpu0')).toBe(true);
  });

  it('is idempotent for the owner and releases only what the VM owns', async () => {
    const s = new FleetStore(client());
    expect(await s.reserve('h2', 'a', ['d1', 'd2'])).toEqual({ ok: true });
    expect(await s.reserve('h2', 'a', ['d1', 'd2'])).toEqual({ ok: true });
    expect(await s.reserve('h2', 'b', ['d2'])).toEqual({ ok: false, device: 'd2', owner: 'a' });
    expect(await s.release('h2', 'b', ['d1', 'd2'])).toBe(0);
    expect(await s.release('h2', 'a', ['d1', 'd2'])).toBe(2);
    expect(await s.reserve('h2', 'b', ['d2'])).toEqual({ ok: true });
  });

  it('reserves and records in one step: on a conflict neither the devices nor the record are written', async () => {
    const s = new FleetStore(client(), 'rr');
    expect(await s.reserveAndRecord('h3', 'a', ['d1', 'd2'], 'attaching', 'req-a')).toEqual({ ok: true });
    expect(await s.getVm('a')).toMatchObject({ vmId: 'a', state: 'attaching', hostId: 'h3', deviceIds: ['d1', 'd2'] });
    expect(await s.reserveAndRecord('h3', 'b', ['d3', 'd2'], 'attaching', 'req-b')).toEqual({
      ok: false,
      device: 'd2',
      owner: 'a',
    });
    expect(await s.getVm('b')).toBeUndefined();
    expect(await s.owners('h3')).toEqual({ d1: 'a', d2: 'a' });
  });

  it('stores VM records', async () => {
    const s = new FleetStore(client());
    await s.putVm({ vmId: 'v1', state: 'running', hostId: 'h', deviceIds: ['x'] });
    expect(await s.getVm('v1')).toMatchObject({ vmId: 'v1', state: 'running', hostId: 'h', deviceIds: ['x'] });
    expect(await s.getVm('missing')).toBeUndefined();
  });

  it('reserves a batch in order in one script: later items see earlier ones, a VM placed already is left alone', async () => {
    const s = new FleetStore(client(), 'batch');
    await s.putVm({ vmId: 'placed', state: 'running', hostId: 'hx', deviceIds: ['z'] });
    const item = (vmId: string, hostId: string, deviceIds: string[]) => ({
      vmId,
      hostId,
      deviceIds,
      state: 'placed',
      requestId: `r-${vmId}`,
    });
    const r = await s.reserveMany([
      item('a', 'h', ['d1', 'd2']),
      item('b', 'h', ['d2']),
      item('c', 'h', ['d3']),
      item('placed', 'h', ['d4']),
      item('cpu-only', 'h', []),
    ]);
    expect(r).toEqual([
      { ok: true },
      { ok: false, device: 'd2', owner: 'a' },
      { ok: true },
      { ok: false, placedAlready: true },
      { ok: true },
    ]);
    expect(await s.owners('h')).toEqual({ d1: 'a', d2: 'a', d3: 'c' });
    const [a, b, placed, cpu] = await s.getVms(['a', 'b', 'placed', 'cpu-only']);
    expect(a).toMatchObject({ state: 'placed', hostId: 'h', deviceIds: ['d1', 'd2'], requestId: 'r-a' });
    expect(b).toBeUndefined();
    expect(placed).toMatchObject({ state: 'running', hostId: 'hx', deviceIds: ['z'] });
    expect(cpu).toMatchObject({ hostId: 'h', deviceIds: [] });
    expect(await s.reserveMany([])).toEqual([]);
    // A release frees only what the VM owns, and a later item of the same batch can take it.
    const rel = await s.reserveMany([{ ...item('a', 'h', ['d1', 'd2', 'd3']), release: true }, item('b', 'h', ['d2'])]);
    expect(rel).toEqual([{ ok: true }, { ok: true }]);
    expect(await s.owners('h')).toEqual({ d2: 'b', d3: 'c' });
  });
});
