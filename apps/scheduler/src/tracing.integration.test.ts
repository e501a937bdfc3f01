// SPDX-License-Identifier: Apache-2.0
// Integration: one trace per VM request across real processes — the scheduler's gRPC call, the
// placement and attach jobs (context carried in the BullMQ payloads), the agent's attach (context
// in the gRPC metadata) and the host's domain attach — exported over OTLP to the in-repo receiver.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { freePort, type RedisProcess, startRedisServer } from '@iofleet/jobs';
import { SchedulerClient, VmState, type VmStatus } from '@iofleet/proto';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '@iofleet/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..');
const TEMPLATE = join(__dirname, '..', 'test', 'fixtures', 'fault-host.yaml');
const procs: ChildProcess[] = [];
let rx: OtlpReceiver;
let redis: RedisProcess;

function startMain(main: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['--conditions=@iofleet/source', '--import', 'tsx', main, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  procs.push(p);
  return new Promise((res, rej) => {
    let out = '';
    let err = '';
    const t = setTimeout(() => rej(new Error(`${main}: ${err}`)), 60_000);
    p.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (ready.test(out)) {
        clearTimeout(t);
        res(p);
      }
    });
    p.stderr!.on('data', (d: Buffer) => {
      err += d;
    });
  });
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
    await startMain(
      join(ROOT, 'apps', 'host-agent', 'src', 'main.ts'),
      ['--template', TEMPLATE, '--listen', `127.0.0.1:${agentPort}`],
      env,
      /listening on/,
    );
    const port = await freePort();
    await startMain(
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
      ],
      env,
      /scheduler listening on/,
    );
    const c = new SchedulerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.enable_http_proxy': 0,
    });
    try {
      const call = <T>(m: string, req: unknown): Promise<T> =>
        new Promise((r, j) =>
          // biome-ignore lint/suspicious/noExplicitAny: promisifier over generated client methods
          (c as any)[m](req, (e: Error | null, v: T) => (e ? j(e) : r(v))),
        );
      await call('submitVm', {
        requestId: 'trace-req-1',
        vmId: 'traced-vm',
        spec: {
          vcpus: 2,
          memoryMib: 1024n,
          devices: [{ alias: 'd', deviceClass: 'nvme', vendor: '', product: '', count: 1, allowVf: false }],
          numaPolicy: 0,
          colocate: [],
          antiAffinityGroup: '',
          acceptableModes: [],
        },
      });
      for (let i = 0; i < 200; i++) {
        const { status } = await call<{ status: VmStatus }>('getVm', { vmId: 'traced-vm' });
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
  }, 120_000);
});
