// SPDX-License-Identifier: Apache-2.0
// Integration: the host-agent process (src/main.ts, as bin/iofleet-host-agent.cjs runs it) serving real host models,
// driven over loopback gRPC with the shared AgentClient: every RPC, the status codes, deadlines,
// an attach storm, SIGTERM drain, and mutual TLS with certificates the test makes.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { untilReady } from '@iofleet/jobs';
import {
  AgentCallError,
  AgentClient,
  type AgentClientOptions,
  IommuMode,
  type RunWorkloadRequest,
  type WatchEventsResponse,
  WorkloadPath,
} from '@iofleet/proto';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestCerts } from './testing/test-certs';

// The main itself (not the bin wrapper), so SIGKILL at the end reaches the process that listens.
const MAIN = join(__dirname, 'main.ts');
const TEMPLATE = join(__dirname, '..', 'test', 'fixtures', 'agent-host.yaml');
const procs: ChildProcess[] = [];
const clients: AgentClient[] = [];
afterAll(() => {
  for (const c of clients) c.close();
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
});

/** Starts an agent process; resolves with its address once it prints where it listens. */
async function startAgent(args: string[] = []): Promise<{ proc: ChildProcess; address: string }> {
  const proc = spawn(
    process.execPath,
    [
      '--conditions=@iofleet/source',
      '--import',
      'tsx',
      MAIN,
      '--template',
      TEMPLATE,
      '--listen',
      '127.0.0.1:0',
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  procs.push(proc);
  const out = await untilReady(proc, /listening on (\S+),/, 'agent', 60_000);
  return { proc, address: /listening on (\S+),/.exec(out)![1]! };
}

function connect(address: string, o: AgentClientOptions = {}): AgentClient {
  const c = new AgentClient(address, o);
  clients.push(c);
  return c;
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => (e instanceof AgentCallError ? e.codeName : String(e)),
  );
/** A RunWorkload request: nvme on 02:00.0 of `rack1-0000`, lazy, for 2 ms of simulated time, unless `over` says otherwise. */
const workload = (over: Partial<RunWorkloadRequest> = {}): RunWorkloadRequest => ({
  hostId: 'rack1-0000',
  deviceId: '0000:02:00.0',
  plugin: 'nvme',
  options: {},
  mode: IommuMode.IOMMU_MODE_LAZY,
  durationNs: 2_000_000n,
  seed: 1n,
  path: 0,
  ...over,
});

const attach = (c: AgentClient, requestId: string, vmId: string, deviceIds: string[], hostId = '') =>
  c.attach({ requestId, hostId, vmId, deviceIds, guestMemoryMib: 4096n });

describe('host agent serving host models', async () => {
  const { address } = await startAgent(['--hosts', '2', '--prefix', 'rack1']);
  const c = connect(address);
  const H = 'rack1-0000';

  it('health and inventory: two hosts with deterministic ids, devices with their groups', async () => {
    expect(await c.health()).toEqual({ serving: true, hostIds: ['rack1-0000', 'rack1-0001'] });
    const [inv] = await c.inventory(H);
    expect(inv!.iommuMode).toBe(IommuMode.IOMMU_MODE_LAZY);
    const gpu = inv!.devices.find((d) => d.id === '0000:01:00.0')!;
    const audio = inv!.devices.find((d) => d.id === '0000:01:00.1')!;
    expect(gpu.iommuGroup).toBe(audio.iommuGroup);
    expect(gpu.plugin).toBe('gpu');
    expect(inv!.devices.find((d) => d.id === '0000:03:00.1')!.hostBound).toBe(true);
    expect(inv!.devices.some((d) => d.id === '0000:00:01.0')).toBe(false); // ports are not devices
  });

  it('attaches whole groups through VFIO, idempotently by request id, and detaches', async () => {
    const r = await attach(c, 'a1', 'vm1', ['0000:01:00.0'], H);
    expect(r.attachedDeviceIds.sort()).toEqual(['0000:01:00.0', '0000:01:00.1']);
    expect(await attach(c, 'a1', 'vm1', ['0000:01:00.0'], H)).toEqual(r);
    expect(await codeOf(attach(c, 'a1', 'vm2', ['0000:02:00.0'], H))).toBe('ALREADY_EXISTS');
    expect(await codeOf(attach(c, 'a2', 'vm2', ['0000:01:00.1'], H))).toBe('FAILED_PRECONDITION');
    const [inv] = await c.inventory(H);
    expect(inv!.devices.find((d) => d.id === '0000:01:00.1')!.ownerVmId).toBe('vm1');
    expect((await c.detach({ requestId: 'd1', hostId: H, vmId: 'vm1' })).detachedDeviceIds.sort()).toEqual([
      '0000:01:00.0',
      '0000:01:00.1',
    ]);
    expect((await attach(c, 'a3', 'vm2', ['0000:01:00.1'], H)).attachedDeviceIds).toHaveLength(2);
    await c.detach({ requestId: 'd2', hostId: H, vmId: 'vm2' });
  });

  it('answers bad requests with the right status codes', async () => {
    expect(await codeOf(attach(c, 'b1', 'vm3', ['0000:09:00.0'], H))).toBe('NOT_FOUND');
    expect(await codeOf(attach(c, 'b2', 'vm3', ['0000:00:01.0'], H))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(attach(c, '', 'vm3', ['0000:02:00.0'], H))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(attach(c, 'b3', 'vm3', ['0000:02:00.0'], 'no-such-host'))).toBe('NOT_FOUND');
    expect(await codeOf(attach(c, 'b4', 'vm3', ['0000:02:00.0']))).toBe('INVALID_ARGUMENT'); // two hosts: host_id needed
    // 03:00.0 shares its group with a function the host keeps: not viable, with Linux's words.
    const e = await attach(c, 'b5', 'vm3', ['0000:03:00.0'], H).catch((x: AgentCallError) => x);
    expect(e).toBeInstanceOf(AgentCallError);
    expect((e as AgentCallError).codeName).toBe('FAILED_PRECONDITION');
    expect((e as AgentCallError).details).toMatch(/group \d+ is not viable/);
  });

  it('runs workloads on the model, with typed errors for bad ones, and counts them', async () => {
    const base = workload();
    const strict = await c.runWorkload({ ...base, mode: IommuMode.IOMMU_MODE_STRICT });
    const pt = await c.runWorkload({ ...base, mode: IommuMode.IOMMU_MODE_PASSTHROUGH });
    expect(strict.iops).toBeGreaterThan(0);
    expect(strict.iops).toBeLessThan(pt.iops);
    expect(await codeOf(c.runWorkload({ ...base, mode: IommuMode.IOMMU_MODE_LAZY, options: { qq: '1' } }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(c.runWorkload({ ...base, mode: IommuMode.IOMMU_MODE_LAZY, plugin: 'nope' }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(c.runWorkload({ ...base, mode: IommuMode.IOMMU_MODE_UNSPECIFIED }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(c.runWorkload({ ...base, mode: IommuMode.IOMMU_MODE_LAZY, deviceId: '0000:0a:00.0' }))).toBe(
      'NOT_FOUND',
    );
    const stats = await c.stats(H);
    expect(stats.workloads).toBe(2);
  });

  it('runs a guest through a virtio-iommu, strict or lazy (WorkloadPath)', async () => {
    const run = (path: WorkloadPath) =>
      c.runWorkload(
        workload({
          hostId: 'rack1-0001',
          options: { bs: '16k', buffers: 'user', qd: '16' },
          mode: IommuMode.IOMMU_MODE_UNSPECIFIED,
          path,
        }),
      );
    const strict = await run(WorkloadPath.WORKLOAD_PATH_VFIO_VIOMMU);
    const lazy = await run(WorkloadPath.WORKLOAD_PATH_VFIO_VIOMMU_LAZY);
    expect(strict.iops).toBeGreaterThan(0);
    // Each I/O's UNMAP no longer waits for its own round trip to the VMM.
    expect(lazy.cpuNsPerIo).toBeLessThan(strict.cpuNsPerIo);
  });

  it('honours deadlines', async () => {
    const req = workload({ deviceId: '', durationNs: 500_000_000n });
    expect(await codeOf(c.runWorkload(req, 1))).toBe('DEADLINE_EXCEEDED');
  });

  it('streams boot log lines and attach events', async () => {
    const events: WatchEventsResponse[] = [];
    const stop = c.watch('rack1-0001', (e) => events.push(e));
    await new Promise((r) => setTimeout(r, 300));
    await attach(c, 'w1', 'vm9', ['0000:02:00.0'], 'rack1-0001');
    await new Promise((r) => setTimeout(r, 300));
    stop();
    expect(
      events.some((e) => e.event?.$case === 'bootLogLine' && e.event.value.includes('Adding to iommu group')),
    ).toBe(true);
    expect(events.find((e) => e.event?.$case === 'attach')?.event).toMatchObject({
      value: { vmId: 'vm9', deviceIds: ['0000:02:00.0'], attached: true },
    });
  });

  it('gives a device to exactly one VM under a storm of concurrent attaches', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => codeOf(attach(c, `s${i}`, `storm-vm-${i}`, ['0000:01:00.0'], 'rack1-0001'))),
    );
    expect(results.filter((r) => r === 'OK')).toHaveLength(1);
    expect(results.filter((r) => r === 'FAILED_PRECONDITION')).toHaveLength(39);
    const [inv] = await c.inventory('rack1-0001');
    expect(
      new Set(
        inv!.devices
          .filter((d) => d.iommuGroup === inv!.devices.find((x) => x.id === '0000:01:00.0')!.iommuGroup)
          .map((d) => d.ownerVmId),
      ).size,
    ).toBe(1);
  });
});

/** User + system CPU time of a process so far, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** Resolves once the process has used `ticks` more CPU than `before` (work observed in flight); bounded. */
async function cpuBusy(pid: number, before: number, ticks = 2, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (cpuTicks(pid) < before + ticks) {
    if (Date.now() > end) throw new Error(`process ${pid} did not start working within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('host agent process lifecycle', () => {
  it('drains on SIGTERM: the in-flight call finishes, the process exits 0', async () => {
    const { proc, address } = await startAgent();
    const c = connect(address);
    const cpuBefore = cpuTicks(proc.pid!);
    const inflight = c.runWorkload(
      workload({ hostId: '', deviceId: '', mode: IommuMode.IOMMU_MODE_STRICT, durationNs: 60_000_000n }),
      60_000,
    );
    // SIGTERM once the workload is seen running (the agent's CPU time grows), not after a fixed delay.
    let settled = false;
    void inflight.finally(() => {
      settled = true;
    });
    await cpuBusy(proc.pid!, cpuBefore, 3);
    expect(settled, 'the call is still in flight at the SIGTERM').toBe(false);
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    await expect(inflight).resolves.toMatchObject({ mode: IommuMode.IOMMU_MODE_STRICT });
    expect(await exited).toBe(0);
  });

  it('serves mutual TLS from certificate files; a client without a certificate is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iofleet-agent-tls-'));
    try {
      const t = makeTestCerts(dir);
      const { address } = await startAgent([
        '--tls-cert',
        t.serverCert,
        '--tls-key',
        t.serverKey,
        '--tls-client-ca',
        t.ca,
      ]);
      const ok = connect(address, { tls: { ca: t.ca, cert: t.clientCert, key: t.clientKey } });
      expect((await ok.health()).serving).toBe(true);
      const noCert = connect(address, { tls: { ca: t.ca }, deadlineMs: 2000 });
      expect(await codeOf(noCert.health())).toBe('UNAVAILABLE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the bin wrapper runs the agent: --help lists the flags and their environment variables', () => {
    const out = execFileSync(process.execPath, [join(__dirname, '..', 'bin', 'iofleet-host-agent.cjs'), '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out).toMatch(/--template <host\.yaml>.*IOFLEET_AGENT_TEMPLATE/);
  });

  it('refuses a bad configuration with one error: line', async () => {
    await expect(startAgent(['--hosts', '0'])).rejects.toThrow(/agent exited 1: error: --hosts must be an integer/);
  });
});
