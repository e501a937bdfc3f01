// SPDX-License-Identifier: Apache-2.0
// OpenTelemetry for the apps: tracing setup, the adapter of core's SimTracer, trace propagation and
// Prometheus metrics. The names of spans, attributes and metrics are in @iofleet/vocabulary.
export { GuardedExporter, type GuardOptions } from './export-guard';
export { IofleetMetrics, startMetricsServer } from './metrics';
export { OtelSimTracer, type OtelSimTracerOptions } from './otel-sim-tracer';
export {
  carrierFromActive,
  contextFromCarrier,
  contextFromMetadata,
  injectMetadata,
  inSpan,
  tracerOf,
} from './propagation';
export {
  drainOnSignals,
  type SignalledProcess,
  tracingConfigured,
  tracingFromEnv,
} from './service-process';
export {
  CLI_EXPORT_TIMEOUT_MS,
  DEFAULT_OTLP_PROTOCOL,
  exportTarget,
  IOFLEET_VERSION,
  makeExporter,
  type OtlpProtocol,
  protocolFromEnv,
  type RunningTracing,
  startTracing,
  type TracingOptions,
} from './setup';
