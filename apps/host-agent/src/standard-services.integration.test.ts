// SPDX-License-Identifier: Apache-2.0
// Integration: the agent's grpc.health.v1.Health (Check, Watch) and server reflection over a real
// loopback socket, as grpcurl and a Kubernetes gRPC probe use them.
import { AgentClient, checkHealth, IommuMode, reflectFilesOf, reflectServices, watchHealth } from '@iofleet/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgentServer } from './server';
import { ToyBackend } from './testing/toy-backend';

const running: RunningAgent[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
});

async function agent(workloadDelayMs = 0) {
  const a = await startAgentServer([new ToyBackend('h0', { gpu0: 1 }, workloadDelayMs)], {
    listen: '127.0.0.1:0',
    drainTimeoutMs: 5000,
  });
  running.push(a);
  return a;
}

describe('host agent: standard gRPC services', () => {
  it('answers health Check SERVING for the server and for iofleet.v1.HostAgent; unknown services are NOT_FOUND', async () => {
    const a = await agent();
    expect(await checkHealth(a.address)).toBe('SERVING');
    expect(await checkHealth(a.address, 'iofleet.v1.HostAgent')).toBe('SERVING');
    await expect(checkHealth(a.address, 'no.such.Service')).rejects.toMatchObject({ code: 5 });
  });

  it('Watch sees SERVING, then NOT_SERVING when a drain starts, then the stream ends; Check says NOT_SERVING mid-drain', async () => {
    const a = await agent(600);
    const w = watchHealth(a.address, 'iofleet.v1.HostAgent');
    await expect.poll(() => w.statuses, { timeout: 5000 }).toEqual(['SERVING']);
    // An in-flight workload holds the drain open while the server still answers health.
    const client = new AgentClient(a.address);
    const slow = client.runWorkload({
      hostId: 'h0',
      deviceId: '',
      plugin: 'x',
      options: {},
      mode: IommuMode.IOMMU_MODE_LAZY,
      path: 0,
      durationNs: 1n,
      seed: 1n,
    });
    await new Promise((r) => setTimeout(r, 100));
    const stopped = a.stop();
    await expect(w.ended).resolves.toBeUndefined();
    expect(w.statuses).toEqual(['SERVING', 'NOT_SERVING']);
    expect(await checkHealth(a.address)).toBe('NOT_SERVING');
    await slow;
    client.close();
    await stopped;
  });

  it('lists its services through reflection and describes them with their imports', async () => {
    const a = await agent();
    expect(await reflectServices(a.address)).toEqual(['grpc.health.v1.Health', 'iofleet.v1.HostAgent']);
    expect(await reflectFilesOf(a.address, 'iofleet.v1.HostAgent')).toEqual(
      expect.arrayContaining(['iofleet/v1/common.proto', 'iofleet/v1/host_agent.proto']),
    );
    expect(await reflectFilesOf(a.address, 'iofleet.v1.RunWorkloadRequest')).toContain('iofleet/v1/host_agent.proto');
    expect(await reflectFilesOf(a.address, 'grpc.health.v1.Health')).toHaveLength(1);
  });
});
