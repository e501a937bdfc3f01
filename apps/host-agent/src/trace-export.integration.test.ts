// SPDX-License-Identifier: Apache-2.0
// Integration: a host-agent process whose OTLP endpoint is dead keeps serving, and says so once on
// stderr (not once per span batch), however many traced calls it serves.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, untilReady } from '@iofleet/jobs';
import { AgentClient } from '@iofleet/proto';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(__dirname, '..', 'bin', 'iofleet-host-agent.cjs');
const TEMPLATE = join(__dirname, '..', 'test', 'fixtures', 'agent-host.yaml');
const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
});

describe('host agent with its trace backend down', () => {
  it('serves traced attaches normally and warns once on stderr', async () => {
    const dead = await freePort(); // nothing listens there
    const p = spawn(process.execPath, [BIN, '--template', TEMPLATE, '--listen', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${dead}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: '',
        OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      },
    });
    procs.push(p);
    let err = '';
    p.stderr!.on('data', (d: Buffer) => {
      err += d;
    });
    const out = await untilReady(p, /listening on (\S+),/, 'agent', 60_000);
    const address = /listening on (\S+),/.exec(out)![1]!;
    const c = new AgentClient(address);
    try {
      const [inv] = await c.inventory();
      const dev = inv!.devices.find((d) => !d.hostBound)!;
      // Batches go out every 200 ms: spread the calls so several exports fail.
      for (let i = 0; i < 6; i++) {
        await c.attach({ requestId: `a${i}`, hostId: '', vmId: `vm${i}`, deviceIds: [dev.id], guestMemoryMib: 16n });
        await c.detach({ requestId: `d${i}`, hostId: '', vmId: `vm${i}` });
        await new Promise((r) => setTimeout(r, 400));
      }
      await expect.poll(() => err, { timeout: 10_000 }).toMatch(/warning: traces not exported/);
      await new Promise((r) => setTimeout(r, 1500));
      expect(err.match(/warning: traces not exported/g)).toHaveLength(1);
      expect(err).toContain(`http://127.0.0.1:${dead}/v1/traces (http/protobuf)`);
      expect(err).toContain('will keep trying');
      expect(p.exitCode).toBeNull();
    } finally {
      c.close();
    }
  }, 90_000);
});
