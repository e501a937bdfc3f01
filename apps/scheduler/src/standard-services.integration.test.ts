// SPDX-License-Identifier: Apache-2.0
// Integration: the scheduler's grpc.health.v1.Health (Check, Watch) and server reflection over a
// real loopback socket (a real redis-server behind it), as grpcurl and a Kubernetes probe use them.
import { type RedisProcess, startRedisServer } from '@iofleet/jobs';
import { checkHealth, reflectFilesOf, reflectServices, watchHealth } from '@iofleet/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScheduler } from './scheduler';

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedisServer();
}, 30_000);
afterAll(async () => {
  await redis.stop();
});

describe('scheduler: standard gRPC services', () => {
  it('is SERVING once started, lists and describes its services, and goes NOT_SERVING (Watch ends) when it stops', async () => {
    const s = await startScheduler({ redisUrl: redis.url, agents: [], listen: '127.0.0.1:0', heartbeatMs: 500 });
    const w = watchHealth(s.address, 'iofleet.v1.Scheduler');
    try {
      expect(await checkHealth(s.address)).toBe('SERVING');
      expect(await checkHealth(s.address, 'iofleet.v1.Scheduler')).toBe('SERVING');
      expect(await reflectServices(s.address)).toEqual(['grpc.health.v1.Health', 'iofleet.v1.Scheduler']);
      expect(await reflectFilesOf(s.address, 'iofleet.v1.Scheduler')).toEqual(
        expect.arrayContaining(['iofleet/v1/common.proto', 'iofleet/v1/scheduler.proto']),
      );
      await expect.poll(() => w.statuses, { timeout: 5000 }).toEqual(['SERVING']);
    } finally {
      await s.stop();
    }
    await expect(w.ended).resolves.toBeUndefined();
    expect(w.statuses).toEqual(['SERVING', 'NOT_SERVING']);
  });
});
