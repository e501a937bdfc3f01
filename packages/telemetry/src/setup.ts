// SPDX-License-Identifier: Apache-2.0
// OpenTelemetry NodeSDK set up from the standard environment, with OpenTelemetry's defaults:
// OTEL_EXPORTER_OTLP_PROTOCOL (or _TRACES_PROTOCOL): 'http/protobuf' (default), 'http/json' or
// 'grpc'; OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT; default http://localhost:4318 for
// HTTP, http://localhost:4317 for gRPC); OTEL_EXPORTER_OTLP_TIMEOUT; OTEL_TRACES_SAMPLER / _ARG
// (read by the SDK itself); OTEL_SERVICE_NAME. The resource carries service.name and
// service.version. Exports go through GuardedExporter: a backend that is down or speaks another
// protocol is one warning, never a lost result. Start it in a preload (node --require) so gRPC and
// ioredis instrumentation can hook their modules before they load (stack-notes §5).

import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { GuardedExporter } from './export-guard';

export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';
const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];

/** OpenTelemetry's default protocol for OTLP exporters (specification: "Exporter configuration"). */
export const DEFAULT_OTLP_PROTOCOL: OtlpProtocol = 'http/protobuf';

/** The release of iofleet's apps, reported as service.version (the CLI's --version says the same). */
export const IOFLEET_VERSION = '0.1.0';

/** How long a one-shot command waits for the trace backend per export, unless OTEL_EXPORTER_OTLP_TIMEOUT says. */
export const CLI_EXPORT_TIMEOUT_MS = 3000;

export interface TracingOptions {
  serviceName: string;
  /** service.version on the resource (default IOFLEET_VERSION). */
  serviceVersion?: string;
  /** Overrides the environment. For HTTP a base endpoint gets /v1/traces appended. */
  endpoint?: string;
  protocol?: OtlpProtocol;
  /** Per-export timeout, ms, when the environment gives none (default: the exporter's, 10 s). */
  timeoutMs?: number;
  /** One-shot command: stop exporting after the first failure (default false: keep trying). */
  oneShot?: boolean;
  /** Where the one warning goes (default stderr). */
  warn?: (line: string) => void;
  /** An exporter to use instead of OTLP (tests). */
  exporter?: SpanExporter;
  env?: NodeJS.ProcessEnv;
}

/** The protocol the environment asks for; an unknown one is warned about and the default used. */
export function protocolFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): OtlpProtocol {
  const p = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || DEFAULT_OTLP_PROTOCOL).trim();
  if ((PROTOCOLS as readonly string[]).includes(p)) return p as OtlpProtocol;
  warn(
    `warning: OTEL_EXPORTER_OTLP_PROTOCOL '${p}' is not one of ${PROTOCOLS.join(', ')}; using ${DEFAULT_OTLP_PROTOCOL}`,
  );
  return DEFAULT_OTLP_PROTOCOL;
}

/** Where traces go: the exporter's URL (as the OTLP exporters derive it) and protocol. */
export function exportTarget(opts: TracingOptions): { url: string; protocol: OtlpProtocol } {
  const env = opts.env ?? process.env;
  const protocol = opts.protocol ?? protocolFromEnv(env, opts.warn);
  const traces = opts.endpoint ? undefined : env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = opts.endpoint ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (protocol === 'grpc') return { url: traces || base || 'http://localhost:4317', protocol };
  const url = traces || `${(base || 'http://localhost:4318').replace(/\/$/, '')}/v1/traces`;
  return { url, protocol };
}

/** The timeout to give the exporter: none when the environment sets one (the exporter reads it). */
function timeoutFrom(opts: TracingOptions): number | undefined {
  const env = opts.env ?? process.env;
  if (env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || env.OTEL_EXPORTER_OTLP_TIMEOUT) return undefined;
  return opts.timeoutMs;
}

/** The per-export timeout in force, ms (the environment's, the option's, or the exporter's 10 s). */
function effectiveTimeoutMs(opts: TracingOptions): number {
  const env = opts.env ?? process.env;
  const fromEnv = Number(env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || env.OTEL_EXPORTER_OTLP_TIMEOUT);
  return fromEnv > 0 ? fromEnv : (opts.timeoutMs ?? 10_000);
}

/** The bare OTLP exporter (no guard) for the options and environment. */
export function makeExporter(opts: TracingOptions): SpanExporter {
  if (opts.exporter) return opts.exporter;
  const { url, protocol } = exportTarget(opts);
  const timeoutMillis = timeoutFrom(opts);
  const common = { url, ...(timeoutMillis && { timeoutMillis }) };
  if (protocol === 'grpc') return new OtlpGrpcExporter(common);
  if (protocol === 'http/json') return new OtlpJsonExporter(common);
  return new OtlpProtoExporter(common);
}

export interface RunningTracing {
  /** Spans the backend did not take (see GuardedExporter). */
  readonly dropped: number;
  /** Flushes and stops; never rejects, and resolves within about two export timeouts. */
  shutdown(): Promise<void>;
}

/** Starts the SDK with a guarded exporter; shutdown() flushes (without ever rejecting). */
export function startTracing(opts: TracingOptions): RunningTracing {
  const { url, protocol } = exportTarget(opts);
  const guard = new GuardedExporter(makeExporter(opts), {
    target: `${url} (${protocol})`,
    giveUpAfterFailure: !!opts.oneShot,
    ...(opts.warn && { warn: opts.warn }),
  });
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: opts.serviceName,
      [ATTR_SERVICE_VERSION]: opts.serviceVersion ?? IOFLEET_VERSION,
    }),
    spanProcessors: [new BatchSpanProcessor(guard, { scheduledDelayMillis: 200 })],
    instrumentations: [new GrpcInstrumentation(), new IORedisInstrumentation()],
  });
  sdk.start();
  // A bound on the flush whatever the exporter does: its own timeout (and retries) twice over.
  const boundMs = 2 * effectiveTimeoutMs(opts) + 1000;
  return {
    get dropped() {
      return guard.dropped;
    },
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((r) => {
        timer = setTimeout(r, boundMs);
        timer.unref();
      });
      await Promise.race([sdk.shutdown().catch(() => undefined), late]);
      clearTimeout(timer);
    },
  };
}
