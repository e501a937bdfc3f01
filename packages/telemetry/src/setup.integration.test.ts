// SPDX-License-Identifier: Apache-2.0
// Integration: startTracing with OpenTelemetry's defaults: no protocol set means http/protobuf to
// OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces; the resource carries service.name and service.version.
// (Its own file: NodeSDK registers the global tracer provider once per process.)
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OTLP_PROTOCOL, exportTarget, IOFLEET_VERSION, protocolFromEnv, startTracing } from './setup';
import { type OtlpReceiver, startOtlpReceiver } from './testing/index';

let rx: OtlpReceiver;
beforeAll(async () => {
  rx = await startOtlpReceiver();
});
afterAll(async () => {
  await rx.close();
});

describe('startTracing', () => {
  it('defaults to http/protobuf and localhost:4318, as OpenTelemetry does; an unknown protocol is a warning', () => {
    expect(DEFAULT_OTLP_PROTOCOL).toBe('http/protobuf');
    expect(exportTarget({ serviceName: 's', env: {} })).toEqual({
      url: 'http://localhost:4318/v1/traces',
      protocol: 'http/protobuf',
    });
    expect(exportTarget({ serviceName: 's', env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }).url).toBe(
      'http://localhost:4317',
    );
    const warnings: string[] = [];
    expect(protocolFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' }, (l) => warnings.push(l))).toBe('http/protobuf');
    expect(warnings).toHaveLength(1);
  });

  it('exports over the default protocol with service.name and service.version on the resource', async () => {
    const warnings: string[] = [];
    const t = startTracing({
      serviceName: 'iofleet-test',
      oneShot: true,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: rx.httpEndpoint },
      warn: (l) => warnings.push(l),
    });
    trace.getTracer('t').startSpan('hello').end();
    await t.shutdown();
    const [s] = await rx.waitFor((x) => x.some((y) => y.name === 'hello'));
    expect(s!.resource).toMatchObject({ 'service.name': 'iofleet-test', 'service.version': IOFLEET_VERSION });
    expect(warnings).toEqual([]);
    expect(t.dropped).toBe(0);
  });
});
