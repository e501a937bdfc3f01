// SPDX-License-Identifier: Apache-2.0
// Integration: real OTLP exporters (gRPC and HTTP/protobuf) over loopback into the in-repo receiver.

import { ATTR_SIM_LATENCY_NS, SPAN_DMA_MAP, SPAN_IOMMU_TRANSLATE } from '@iofleet/vocabulary';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtelSimTracer } from './otel-sim-tracer';
import { makeExporter, type OtlpProtocol } from './setup';
import { type OtlpReceiver, startOtlpReceiver } from './testing/index';

let rx: OtlpReceiver;
beforeAll(async () => {
  rx = await startOtlpReceiver();
});
afterAll(async () => {
  await rx.close();
});

async function emit(protocol: OtlpProtocol, service: string) {
  const endpoint = protocol === 'grpc' ? rx.grpcEndpoint : rx.httpEndpoint;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(makeExporter({ serviceName: service, endpoint, protocol, env: {} }))],
  });
  const t = new OtelSimTracer(provider.getTracer('test'), { sampleEvery: 1, baseEpochMs: 1_700_000_000_000 });
  const map = t.startSpan(SPAN_DMA_MAP, 1_000, { [ATTR_SIM_LATENCY_NS]: 450 });
  const tr = t.startSpan(SPAN_IOMMU_TRANSLATE, 1_100, {}, map);
  tr.addEvent('iotlb.miss', { level: 4 }, 1_150);
  tr.end(1_400);
  map.end(1_450);
  await provider.forceFlush();
  await provider.shutdown();
}

describe.each(['grpc', 'http/protobuf', 'http/json'] as const)('OTLP export over %s', (protocol) => {
  it('delivers a parent/child trace with simulated times and attributes', async () => {
    const service = `svc-${protocol}`;
    await emit(protocol, service);
    const spans = await rx.waitFor((s) => s.filter((x) => x.service === service).length >= 2);
    const mine = spans.filter((s) => s.service === service);
    const map = mine.find((s) => s.name === SPAN_DMA_MAP)!;
    const tr = mine.find((s) => s.name === SPAN_IOMMU_TRANSLATE)!;
    expect(tr.parentSpanId).toBe(map.spanId);
    expect(tr.traceId).toBe(map.traceId);
    expect(map.endNs - map.startNs).toBe(450n); // the simulated latency is the span's duration
    expect(map.attributes[ATTR_SIM_LATENCY_NS]).toBe(450n);
    expect(tr.events[0]).toMatchObject({ name: 'iotlb.miss', attributes: { level: 4n } });
  });
});
