// SPDX-License-Identifier: Apache-2.0
// Integration: one trace per VM request across real processes — the scheduler's gRPC call, the
// placement and attach jobs (context carried in the BullMQ payloads), the agent's attach (context
// in the gRPC metadata) and the host's domain attach — exported over OTLP to the in-repo receiver;
// and the Prometheus metrics both processes serve at /metrics.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, type RedisProcess, startRedisServer, untilReady } from '@iofleet/jobs';
import { AgentClient, IommuMode, SchedulerApi, VmState } from '@iofleet/proto';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '@iofleet/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testVmSpec } from './testing/vm-spec';

const ROOT = join(__dirname, '..', '..', '..');
const TEMPLATE = join(__dirname, '..', 'test', 'fixtures', 'fault-host.yaml');
const procs: ChildProcess[] = [];
let rx: OtlpReceiver;
let redis: RedisProcess;

/** Starts a main; resolves with what it has printed once that matches `ready` (where it listens, where metrics are). */
function startMain(main: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<string> {
  const p = spawn(process.execPath, ['--conditions=@iofleet/source', '--import', 'tsx', main, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  procs.push(p);
  return untilReady(p, ready, main, 60_000);
}

beforeAll(async () => {
  rx = await startOtlpReceiver();
  redis = await startRedisServer();
}, 60_000);
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await redis?.stop();
  await rx?.close();
});

describe('placement traces', () => {
  it('one trace from SubmitVm through the jobs to the agent and the host domain attach', async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.grpcEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
    const agentPort = await freePort();
    const agentOut = await startMain(
      join(ROOT, 'apps', 'host-agent', 'src', 'main.ts'),
      ['--template', TEMPLATE, '--listen', `127.0.0.1:${agentPort}`, '--metrics', '127.0.0.1:0'],
      env,
      /metrics on \S+\n/,
    );
    const agentMetrics = /metrics on (\S+)/.exec(agentOut)![1]!;
    const port = await freePort();
    const schedOut = await startMain(
      join(ROOT, 'apps', 'scheduler', 'src', 'main.ts'),
      [
        '--redis',
        redis.url,
        '--agents',
        `127.0.0.1:${agentPort}`,
        '--listen',
        `127.0.0.1:${port}`,
        '--heartbeat-ms',
        '300',
        '--metrics',
        '127.0.0.1:0',
      ],
      env,
      /metrics on \S+\n/,
    );
    const schedMetrics = /metrics on (\S+)/.exec(schedOut)![1]!;
    const c = new SchedulerApi(`127.0.0.1:${port}`);
    try {
      await c.submit({
        requestId: 'trace-req-1',
        vmId: 'traced-vm',
        spec: testVmSpec('nvme'),
      });
      for (let i = 0; i < 200; i++) {
        const status = await c.get('traced-vm');
        if (status.state === VmState.VM_STATE_RUNNING) break;
        await new Promise((t) => setTimeout(t, 50));
      }
    } finally {
      c.close();
    }
    const names = [
      'scheduler.vm_request',
      'scheduler.placement',
      'scheduler.attach',
      'host_agent.attach',
      'host.domain_attach',
    ];
    const spans = await rx.waitFor((s) => names.every((n) => s.some((x) => x.name === n)), 30_000);
    const byName = (n: string) => spans.find((x) => x.name === n)!;
    const root = byName('scheduler.vm_request');
    expect(root.attributes['iofleet.vm.id']).toBe('traced-vm');
    for (const n of names) expect(byName(n).traceId, n).toBe(root.traceId);
    const byId = new Map(spans.map((x) => [x.spanId, x]));
    const ancestors = (x: ReceivedSpan) => {
      const out: string[] = [];
      for (let p = byId.get(x.parentSpanId); p; p = byId.get(p.parentSpanId)) out.push(p.name);
      return out;
    };
    // Each step hangs below the one before it, whatever spans the libraries add in between.
    expect(ancestors(byName('host.domain_attach'))).toEqual(
      expect.arrayContaining(['host_agent.attach', 'scheduler.attach', 'scheduler.placement', 'scheduler.vm_request']),
    );
    expect(byName('host_agent.attach').service).toBe('iofleet-host-agent');
    expect(root.service).toBe('iofleet-scheduler');

    // Metrics: the placement and both sides of the attach were counted; queue depths are served.
    const scrape = async (address: string) => (await fetch(`http://${address}/metrics`)).text();
    /** The value of a sample of `name` carrying every label of `labels` (label order does not matter). */
    const value = (text: string, name: string, labels: Record<string, string>) => {
      for (const line of text.split('\n')) {
        const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const have = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
        if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
      }
      return undefined;
    };
    const sched = await scrape(schedMetrics);
    expect(value(sched, 'iofleet_placements_total', { result: 'placed', service: 'iofleet-scheduler' })).toBe(1);
    expect(value(sched, 'iofleet_attach_latency_seconds_count', { role: 'scheduler' })).toBe(1);
    expect(value(sched, 'iofleet_queue_depth', { queue: 'iofleet-attach', state: 'failed' })).toBe(0);
    // A workload on the agent feeds its DMA latency histogram for the mode.
    const agent = new AgentClient(`127.0.0.1:${agentPort}`);
    try {
      await agent.runWorkload({
        hostId: '',
        deviceId: '02:00.0',
        plugin: 'nvme',
        options: {},
        mode: IommuMode.IOMMU_MODE_STRICT,
        path: 0,
        durationNs: 1_000_000n,
        seed: 1n,
      });
    } finally {
      agent.close();
    }
    const ag = await scrape(agentMetrics);
    expect(value(ag, 'iofleet_attach_latency_seconds_count', { role: 'agent', service: 'iofleet-host-agent' })).toBe(1);
    expect(value(ag, 'iofleet_dma_latency_seconds_count', { mode: 'strict', plugin: 'nvme' })).toBe(20);
  }, 120_000);
});
