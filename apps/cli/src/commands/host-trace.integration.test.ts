// SPDX-License-Identifier: Apache-2.0
// Integration: `iofleet host run --trace` exports its spans through a real OTLP exporter over
// loopback gRPC into the in-repo receiver.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type OtlpReceiver, startOtlpReceiver } from '@iofleet/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'iofleet.cjs');
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
    await run(
      process.execPath,
      [BIN, 'host', 'run', HOST, '--workload', 'nvme', '--modes', 'pt,strict', '--duration', '2', '--trace'],
      {
        timeout: 60_000,
        env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: rx.grpcEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      },
    );
    const spans = await rx.waitFor((s) => s.filter((x) => x.name === 'host.workload').length >= 2, 20_000);
    const work = spans.filter((x) => x.name === 'host.workload');
    expect(work.map((s) => s.attributes['iofleet.iommu.mode']).sort()).toEqual(['pt', 'strict']);
    expect(work.every((s) => s.service === 'iofleet-cli')).toBe(true);
    const root = spans.find((x) => x.name === 'host.run intel-xeon-2s')!;
    expect(work.every((s) => s.parentSpanId === root.spanId)).toBe(true);
    expect(Number(work[0]!.attributes['iofleet.workload.iops'])).toBeGreaterThan(0);
  });

  it('--modes strict over OTLP http/protobuf delivers dma.map and iommu.translate spans with simulated latencies', async () => {
    await run(
      process.execPath,
      [
        BIN,
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
    const root = spans.find((x) => x.name === 'host.run intel-xeon-2s' && x.traceId === map.traceId)!;
    expect(map.parentSpanId).toBe(root.spanId);
  });

  it('simulate --trace exports the DMA spans of the device runs under one root span', async () => {
    const scenario = join(__dirname, '..', '..', 'test', 'fixtures', 'small-scenario.yaml');
    await run(process.execPath, [BIN, 'simulate', scenario, '--trace', '--trace-sample', '50', '--quiet'], {
      timeout: 120_000,
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: rx.grpcEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    });
    const spans = await rx.waitFor((s) => s.some((x) => x.name.startsWith('simulate ')), 20_000);
    const root = spans.find((x) => x.name.startsWith('simulate '))!;
    const dma = spans.filter((x) => x.traceId === root.traceId && x.name === 'dma.map');
    expect(dma.length).toBeGreaterThan(0);
    expect(new Set(dma.map((x) => x.attributes['iofleet.iommu.mode']))).toEqual(new Set(['booted', 'vfio']));
  });
});
