// SPDX-License-Identifier: Apache-2.0
// Integration: `iofleet host run --trace` and `simulate --trace` export their spans through real
// OTLP exporters over loopback into the in-repo receiver; with the trace backend down or speaking
// the other protocol they complete with their normal results and one warning.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type OtlpReceiver, startOtlpReceiver } from '@iofleet/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../main';
import { iofleet } from '../testing/run-iofleet';

const HOST = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts', 'intel-xeon-2s.yaml');

let rx: OtlpReceiver;
beforeAll(async () => {
  rx = await startOtlpReceiver();
});
afterAll(async () => {
  await rx.close();
});

describe('iofleet host run --trace', () => {
  it('sends one host.workload span per mode, with the mode and figures as attributes', async () => {
    await iofleet(['host', 'run', HOST, '--workload', 'nvme', '--modes', 'pt,strict', '--duration', '2', '--trace'], {
      timeout: 60_000,
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: rx.grpcEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    });
    const spans = await rx.waitFor((s) => s.filter((x) => x.name === 'host.workload').length >= 2, 20_000);
    const work = spans.filter((x) => x.name === 'host.workload');
    expect(work.map((s) => s.attributes['iofleet.iommu.mode']).sort()).toEqual(['pt', 'strict']);
    expect(work.every((s) => s.service === 'iofleet-cli')).toBe(true);
    // Span names carry no host names: the host is an attribute.
    const root = spans.find((x) => x.name === 'host.run' && x.attributes['iofleet.host'] === 'intel-xeon-2s')!;
    expect(work.every((s) => s.parentSpanId === root.spanId)).toBe(true);
    expect(Number(work[0]!.attributes['iofleet.workload.iops'])).toBeGreaterThan(0);
    // service.version is the CLI's own --version.
    expect(root.resource['service.version']).toBe(buildProgram().version());
  });

  it('--modes strict over OTLP http/protobuf delivers dma.map and iommu.translate spans with simulated latencies', async () => {
    await iofleet(
      [
        'host',
        'run',
        HOST,
        '--workload',
        'nvme',
        '--modes',
        'strict',
        '--duration',
        '1',
        '--trace',
        '--trace-sample',
        '10',
      ],
      {
        timeout: 60_000,
        env: {
          ...process.env,
          OTEL_EXPORTER_OTLP_ENDPOINT: rx.httpEndpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        },
      },
    );
    const spans = await rx.waitFor(
      (s) =>
        s.some((x) => x.name === 'dma.map') &&
        s.some((x) => x.name === 'iommu.translate' && x.attributes['iofleet.iommu.mode'] === 'strict'),
      20_000,
    );
    const map = spans.find((x) => x.name === 'dma.map' && x.attributes['iofleet.iommu.mode'] === 'strict')!;
    expect(map.attributes['iofleet.device.bdf']).toBe('0000:01:00.0');
    expect(map.attributes['iofleet.host']).toBe('intel-xeon-2s');
    expect(Number(map.attributes['iofleet.domain.id'])).toBeGreaterThan(0); // strict: a DMA domain
    const latency = Number(map.attributes['iofleet.sim.latency_ns']);
    expect(latency).toBeGreaterThan(0);
    // The span lasts the simulated latency.
    expect(Number(map.endNs - map.startNs)).toBe(latency);
    const unmap = spans.find((x) => x.name === 'dma.unmap' && x.events.some((e) => e.name === 'invalidation.wait'));
    expect(unmap).toBeDefined(); // strict: every unmap waits for its invalidation
    const tr = spans.find(
      (x) =>
        x.name === 'iommu.translate' &&
        x.attributes['iofleet.iommu.mode'] === 'strict' &&
        x.events.some((e) => e.name === 'iotlb.miss'),
    )!;
    expect(tr.events.filter((e) => e.name === 'page_walk.level').length).toBeGreaterThan(0);
    const root = spans.find((x) => x.name === 'host.run' && x.traceId === map.traceId)!;
    expect(map.parentSpanId).toBe(root.spanId);
  });

  it('simulate --trace exports the DMA spans of the device runs under one root span', async () => {
    const scenario = join(__dirname, '..', '..', 'test', 'fixtures', 'small-scenario.yaml');
    await iofleet(['simulate', scenario, '--trace', '--trace-sample', '50', '--quiet'], {
      timeout: 120_000,
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: rx.grpcEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    });
    const spans = await rx.waitFor((s) => s.some((x) => x.name === 'simulate'), 20_000);
    const root = spans.find((x) => x.name === 'simulate')!;
    expect(root.attributes['iofleet.scenario']).toBe(scenario);
    const dma = spans.filter((x) => x.traceId === root.traceId && x.name === 'dma.map');
    expect(dma.length).toBeGreaterThan(0);
    expect(new Set(dma.map((x) => x.attributes['iofleet.iommu.mode']))).toEqual(new Set(['booted', 'vfio']));
  });
});

describe('--trace never costs the results', () => {
  const closedPort = () =>
    new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => r(port));
      });
    });
  const warningLines = (stderr: string) => stderr.split('\n').filter((l) => /^warning: traces not exported/.test(l));
  const hostRun = ['host', 'run', HOST, '--workload', 'nvme', '--modes', 'pt,strict', '--duration', '1', '--json'];

  it('host run --trace with the backend down (default protocol, closed port): the same rows and one warning', async () => {
    const plain = await iofleet([...hostRun], { timeout: 60_000 });
    const port = await closedPort();
    const t0 = Date.now();
    const traced = await iofleet([...hostRun, '--trace'], {
      timeout: 60_000,
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_PROTOCOL: '' },
    });
    expect(JSON.parse(traced.stdout)).toEqual(JSON.parse(plain.stdout));
    expect(warningLines(traced.stderr)).toEqual([
      expect.stringContaining(`http://127.0.0.1:${port}/v1/traces (http/protobuf)`),
    ]);
    expect(Date.now() - t0).toBeLessThan(45_000);
  });

  it('host run --trace against a port of the other protocol (http/protobuf to gRPC, gRPC to HTTP): same rows, one warning each', async () => {
    const plain = JSON.parse((await iofleet([...hostRun], { timeout: 60_000 })).stdout);
    for (const [protocol, endpoint] of [
      ['http/protobuf', rx.grpcEndpoint],
      ['grpc', rx.httpEndpoint],
    ] as const) {
      const traced = await iofleet([...hostRun, '--trace'], {
        timeout: 60_000,
        env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: protocol },
      });
      expect(JSON.parse(traced.stdout), protocol).toEqual(plain);
      expect(warningLines(traced.stderr), protocol).toHaveLength(1);
    }
  });

  it('simulate --trace with the backend speaking gRPC where HTTP is expected: the same report and one warning', async () => {
    const scenario = join(__dirname, '..', '..', 'test', 'fixtures', 'small-scenario.yaml');
    const args = ['simulate', scenario, '--json', '--quiet'];
    const plain = await iofleet(args, { timeout: 120_000 });
    const traced = await iofleet([...args, '--trace'], {
      timeout: 120_000,
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: rx.grpcEndpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      },
    });
    expect(JSON.parse(traced.stdout)).toEqual(JSON.parse(plain.stdout));
    expect(warningLines(traced.stderr)).toHaveLength(1);
  });
});
