// SPDX-License-Identifier: Apache-2.0

// The one vocabulary of span, event and attribute names (STYLE.md item 15), defined in
// @iofleet/core (the simulation is instrumented with it) and re-exported here for the apps.
export {
  ATTR_DEVICE_BDF,
  ATTR_DIRECTION,
  ATTR_DOMAIN_ID,
  ATTR_FAULT_REASON,
  ATTR_HOST,
  ATTR_IOVA,
  ATTR_LENGTH,
  ATTR_MODE,
  ATTR_REQUEST_ID,
  ATTR_SCENARIO,
  ATTR_SIM_LATENCY_NS,
  ATTR_VARIANT,
  ATTR_VM_ID,
  ATTR_WALK_LEVEL,
  EVENT_INVALIDATION_WAIT,
  EVENT_IOTLB_HIT,
  EVENT_IOTLB_MISS,
  EVENT_WALK_LEVEL,
  SERVICE_CLI,
  SERVICE_HOST_AGENT,
  SERVICE_SCHEDULER,
  SPAN_ATTACH,
  SPAN_ATTACH_JOB,
  SPAN_DMA_MAP,
  SPAN_DMA_UNMAP,
  SPAN_DOMAIN_ATTACH,
  SPAN_HOST_RUN,
  SPAN_IOMMU_FAULT,
  SPAN_IOMMU_INVALIDATE,
  SPAN_IOMMU_TRANSLATE,
  SPAN_PLACEMENT,
  SPAN_SIMULATE,
  SPAN_VM_REQUEST,
  SPAN_WORKLOAD,
} from '@iofleet/core';
export { GuardedExporter, type GuardOptions } from './export-guard';
export { IofleetMetrics, startMetricsServer } from './metrics';
export { OtelSimTracer, type OtelSimTracerOptions } from './otel-sim-tracer';
export {
  carrierFromActive,
  contextFromCarrier,
  contextFromMetadata,
  injectMetadata,
  inSpan,
  type TraceCarrier,
  tracerOf,
} from './propagation';
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
