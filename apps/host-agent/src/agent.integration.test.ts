// SPDX-License-Identifier: Apache-2.0
// Integration: the agent over real gRPC sockets on loopback.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { HostAgentClient, IommuMode, type UnaryMethod, unaryCall } from '@iofleet/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgentServer } from './server';
import { makeTestCerts } from './testing/test-certs';
import { ToyBackend } from './testing/toy-backend';

const running: RunningAgent[] = [];
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(running.splice(0).map((a) => a.stop()));
});

async function agent(
  backends = [new ToyBackend('h0', { gpu0: 1, aud0: 1, nvme0: 2 }, 300)],
  tls?: Parameters<typeof startAgentServer>[1]['tls'],
) {
  const a = await startAgentServer(backends, { listen: '127.0.0.1:0', tls, drainTimeoutMs: 5000 });
  running.push(a);
  return a;
}
function client(a: RunningAgent, creds = grpc.credentials.createInsecure()) {
  const c = new HostAgentClient(a.address, creds, { 'grpc.enable_http_proxy': 0 });
  clients.push(c);
  return c;
}
/** A raw unary call by method name, through proto's one promise wrapper (typed error with the status code). */
function call<T>(c: HostAgentClient, method: keyof HostAgentClient, req: unknown, deadlineMs = 5000): Promise<T> {
  return unaryCall(c, method, c[method] as UnaryMethod<unknown, T>, req, { deadlineMs });
}
const attachReq = (requestId: string, vmId: string, deviceIds: string[]) => ({
  requestId,
  hostId: 'h0',
  vmId,
  deviceIds,
  guestMemoryMib: 1024n,
});

/** A workload on the toy backend (which answers after its delay, whatever the request). */
const workloadReq = {
  hostId: 'h0',
  deviceId: 'x',
  plugin: 'nvme',
  options: {},
  mode: IommuMode.IOMMU_MODE_STRICT,
  durationNs: 1n,
  path: 0,
  seed: 1n,
};

describe('host agent over gRPC', () => {
  it('serves health and inventory, and attaches whole IOMMU groups', async () => {
    const c = client(await agent());
    expect(await call(c, 'health', {})).toEqual({ serving: true, hostIds: ['h0'] });
    const inv = await call<{ hosts: { devices: unknown[] }[] }>(c, 'getInventory', { hostId: '' });
    expect(inv.hosts[0]!.devices).toHaveLength(3);
    const r = await call<{ attachedDeviceIds: string[] }>(c, 'attachDevices', attachReq('r1', 'vm1', ['gpu0']));
    expect(r.attachedDeviceIds.sort()).toEqual(['aud0', 'gpu0']);
  });

  it('maps bad requests to INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION and ALREADY_EXISTS', async () => {
    const c = client(await agent());
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 0,
        (e: grpc.ServiceError) => e.code,
      );
    expect(await code(call(c, 'attachDevices', attachReq('', 'vm1', ['gpu0'])))).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await code(call(c, 'attachDevices', { ...attachReq('a', 'vm1', ['gpu0']), hostId: 'nope' }))).toBe(
      grpc.status.NOT_FOUND,
    );
    expect(await code(call(c, 'attachDevices', attachReq('b', 'vm1', ['missing'])))).toBe(grpc.status.NOT_FOUND);
    await call(c, 'attachDevices', attachReq('c', 'vm1', ['gpu0']));
    expect(await code(call(c, 'attachDevices', attachReq('d', 'vm2', ['aud0'])))).toBe(grpc.status.FAILED_PRECONDITION);
    expect(await code(call(c, 'attachDevices', attachReq('c', 'vm3', ['nvme0'])))).toBe(grpc.status.ALREADY_EXISTS);
    // Same request id, same request: the first answer again (idempotent retry).
    expect(await call(c, 'attachDevices', attachReq('c', 'vm1', ['gpu0']))).toEqual({
      attachedDeviceIds: ['gpu0', 'aud0'],
      iommuGroups: [1],
    });
  });

  it('gives one owner to a device under a concurrent attach storm from many clients', async () => {
    const a = await agent();
    const cs = Array.from({ length: 8 }, () => client(a));
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => call(cs[i % 8]!, 'attachDevices', attachReq(`s${i}`, `vm${i}`, ['gpu0']))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const stats = await call<{ counters: Record<string, number> }>(cs[0]!, 'getStats', { hostId: 'h0' });
    expect(stats.counters.owned).toBe(2);
  });

  it('honours deadlines', async () => {
    const c = client(await agent([new ToyBackend('h0', {}, 2000)]));
    const err = await call(c, 'runWorkload', workloadReq, 200).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it('drains: an in-flight call completes, new calls are refused, then the server stops', async () => {
    const a = await agent([new ToyBackend('h0', {}, 500)]);
    const c = client(a);
    const inflight = call(c, 'runWorkload', workloadReq);
    await new Promise((r) => setTimeout(r, 100));
    const stopped = a.stop();
    const refused = await call(c, 'health', {}).catch((e: grpc.ServiceError) => e.code);
    expect(refused).toBe(grpc.status.UNAVAILABLE);
    await expect(inflight).resolves.toMatchObject({ result: { iops: 1 } });
    await stopped;
  });

  it('serves mutual TLS with certificates the test makes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iofleet-tls-'));
    try {
      const certs = makeTestCerts(dir);
      const a = await agent(undefined, { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca });
      const read = (f: string) => readFileSync(join(dir, f));
      const ok = client(a, grpc.credentials.createSsl(read('ca.crt'), read('client.key'), read('client.crt')));
      expect(await call(ok, 'health', {})).toMatchObject({ serving: true });
      const noCert = client(a, grpc.credentials.createSsl(read('ca.crt')));
      await expect(call(noCert, 'health', {}, 2000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
