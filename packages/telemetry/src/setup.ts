// SPDX-License-Identifier: Apache-2.0
// OpenTelemetry NodeSDK set up from the standard environment: OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), OTEL_EXPORTER_OTLP_PROTOCOL ('grpc' or 'http/protobuf';
// default grpc), OTEL_TRACES_SAMPLER / _ARG (read by the SDK itself), OTEL_SERVICE_NAME.
// Start it in a preload (node --require) so gRPC and ioredis instrumentation can hook their
// modules before they load (stack-notes §5).

import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export type OtlpProtocol = 'grpc' | 'http/protobuf';

export interface TracingOptions {
  serviceName: string;
  /** Overrides the environment. For http/protobuf a base endpoint gets /v1/traces appended. */
  endpoint?: string;
  protocol?: OtlpProtocol;
  /** An exporter to use instead of OTLP (tests). */
  exporter?: SpanExporter;
  env?: NodeJS.ProcessEnv;
}

export function protocolFromEnv(env: NodeJS.ProcessEnv = process.env): OtlpProtocol {
  const p = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'grpc').trim();
  if (p === 'grpc' || p === 'http/protobuf') return p;
  throw new RangeError(`OTEL_EXPORTER_OTLP_PROTOCOL '${p}' is not supported (use grpc or http/protobuf)`);
}

export function makeExporter(opts: TracingOptions): SpanExporter {
  if (opts.exporter) return opts.exporter;
  const env = opts.env ?? process.env;
  const protocol = opts.protocol ?? protocolFromEnv(env);
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = opts.endpoint ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (protocol === 'grpc') return new OtlpGrpcExporter(traces || base ? { url: traces ?? base } : {});
  const url = traces ?? (base ? `${base.replace(/\/$/, '')}/v1/traces` : undefined);
  return new OtlpProtoExporter(url ? { url } : {});
}

/** Starts the SDK; call shutdown() (awaiting it, catching rejection) to flush before exit. */
export function startTracing(opts: TracingOptions): NodeSDK {
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName }),
    spanProcessors: [new BatchSpanProcessor(makeExporter(opts), { scheduledDelayMillis: 200 })],
    instrumentations: [new GrpcInstrumentation(), new IORedisInstrumentation()],
  });
  sdk.start();
  return sdk;
}
