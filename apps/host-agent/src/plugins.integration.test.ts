// SPDX-License-Identifier: Apache-2.0
// Integration: the host-agent process loads plugins from the registry the CLI uses
// (@iofleet/plugin-registry): the same built-in plugins (pciebench among them) and third-party
// plugins given with --plugin — JavaScript, or TypeScript through tsx with the agent's own SDK —
// and serves their workloads over gRPC.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { untilReady } from '@iofleet/jobs';
import { BUILTIN_PLUGINS } from '@iofleet/plugin-registry';
import { type AgentCallError, AgentClient, IommuMode } from '@iofleet/proto';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(__dirname, '..', 'bin', 'iofleet-host-agent.cjs');
const HOSTS = join(__dirname, '..', '..', '..', 'examples', 'hosts');
const procs: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'iofleet-agent-plugins-'));
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startAgent(args: string[]): Promise<AgentClient> {
  const p = spawn(process.execPath, [BIN, '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  const out = await untilReady(p, /listening on (\S+),/, 'agent', 60_000);
  return new AgentClient(/listening on (\S+),/.exec(out)![1]!);
}

/** Runs `use` on a client of an agent started with `args`, then closes the client (afterAll kills the agent). */
async function withAgent(args: string[], use: (c: AgentClient) => Promise<void>): Promise<void> {
  const c = await startAgent(args);
  try {
    await use(c);
  } finally {
    c.close();
  }
}

const workload = (plugin: string, deviceId: string) => ({
  hostId: '',
  deviceId,
  plugin,
  options: {},
  mode: IommuMode.IOMMU_MODE_LAZY,
  path: 0,
  durationNs: 200_000n,
  seed: 1n,
});

describe('host agent plugins', () => {
  it('knows every built-in plugin the CLI knows: a pciebench host boots and runs its workload', async () => {
    expect(BUILTIN_PLUGINS.map((p) => p.name)).toEqual(expect.arrayContaining(['nvme', 'nic', 'gpu', 'pciebench']));
    await withAgent(['--template', join(HOSTS, 'intel-broadwell-nfp.yaml')], async (c) => {
      const r = await c.runWorkload(workload('pciebench', '02:00.0'));
      expect(r.iops).toBeGreaterThan(0);
    });
  }, 90_000);

  it('loads a third-party plugin with --plugin; without it the workload is refused', async () => {
    const mod = join(dir, 'third-party.cjs');
    writeFileSync(
      mod,
      `const base = { kind: 'iofleet.device-plugin', version: '1.0.0', sdk: '^0.2.0', parseOptions: () => ({}) };
module.exports = { throws: { ...base, name: 'thirdparty', create: () => ({ workload: { queueDepth: 1, submit() { throw new Error('boom'); }, device() {}, complete() {} } }) } };`,
    );
    const host = join(HOSTS, 'intel-xeon-2s.yaml');
    const plain = await startAgent(['--template', host]);
    const withPlugin = await startAgent(['--template', host, '--plugin', mod]);
    try {
      const refused = await plain.runWorkload(workload('thirdparty', '01:00.0')).catch((e: unknown) => e);
      expect((refused as AgentCallError).codeName).toBe('INVALID_ARGUMENT');
      // Loaded: the run happens, and the plugin's own fault is contained as a device fault.
      const r = await withPlugin.runWorkload(workload('thirdparty', '01:00.0'));
      expect(r.iops).toBe(0);
    } finally {
      plain.close();
      withPlugin.close();
    }
  }, 90_000);

  it('loads a TypeScript plugin with --plugin, handing it the agent own @iofleet/sdk', async () => {
    // The file sits in a temporary folder with no node_modules: its `@iofleet/sdk` can only be the
    // agent's (the registry's loader shares it), and its TypeScript only runs through tsx.
    const mod = join(dir, 'ts-plugin.ts');
    const SDK = '@iofleet/sdk'; // spelt apart: the agent itself does not import the SDK
    writeFileSync(
      mod,
      `import { defineDevicePlugin, type DeviceContext, SDK_VERSION } from '${SDK}';
export const tsPlugin = defineDevicePlugin({
  name: 'tsplugin', version: '1.0.0', sdk: \`^\${SDK_VERSION}\`,
  parseOptions: () => ({}),
  create: (ctx: DeviceContext) => {
    let pa = -1;
    return {
      workload: {
        queueDepth: 1,
        start() { pa = ctx.memory.allocPages(1); },
        submit() { return { bytes: 4096, dmaAddr: ctx.dma.mapSingle(pa, 4096, 'from-device') }; },
        device(io: { dmaAddr: number }) { ctx.bus.dma(io.dmaAddr, 4096, true); ctx.bus.busy(1000); },
        complete(io: { dmaAddr: number }) { ctx.dma.unmapSingle(io.dmaAddr, 4096, 'from-device'); },
        stop() { ctx.memory.freePages(pa, 1); },
      },
    };
  },
});
`,
    );
    await withAgent(['--template', join(HOSTS, 'intel-xeon-2s.yaml'), '--plugin', mod], async (c) => {
      const r = await c.runWorkload(workload('tsplugin', '01:00.0'));
      expect(r.iops).toBeGreaterThan(0);
    });
  }, 90_000);

  it('refuses a --plugin module that cannot be loaded with one error line', async () => {
    await expect(
      startAgent(['--template', join(HOSTS, 'intel-xeon-2s.yaml'), '--plugin', join(dir, 'missing.cjs')]),
    ).rejects.toThrow(/agent exited 1: error: --plugin .*missing\.cjs: cannot load \(Cannot find module/);
    const none = join(dir, 'no-plugin.cjs');
    writeFileSync(none, 'module.exports = { answer: 42 };');
    await expect(startAgent(['--template', join(HOSTS, 'intel-xeon-2s.yaml'), '--plugin', none])).rejects.toThrow(
      /agent exited 1: error: --plugin .*no-plugin\.cjs: exports no plugin made by defineDevicePlugin\(\)/,
    );
  });
});
