// SPDX-License-Identifier: Apache-2.0
// `host run --trace` and `simulate --trace`: the sampled DMA spans of the runs (dma.map, dma.unmap,
// iommu.translate with IOTLB and page-walk events, iommu.fault), for host run one span per mode with
// the row's figures, all under one root span, exported over OTLP (endpoint, protocol and timeout
// from the standard OTEL_* variables; OpenTelemetry's default http/protobuf to localhost:4318).
// The results never wait on, nor depend on, the trace backend: the caller prints them first and
// then awaits `flushed`, which never rejects; a backend that is down or speaks another protocol is
// one warning on stderr (GuardedExporter), and the CLI waits at most CLI_EXPORT_TIMEOUT_MS per
// export unless OTEL_EXPORTER_OTLP_TIMEOUT says otherwise.

import type { SimTracer } from '@iofleet/core';
import type { HostRunRow } from '@iofleet/host';
import { CLI_EXPORT_TIMEOUT_MS, OtelSimTracer, startTracing } from '@iofleet/telemetry';
import {
  ATTR_DEVICE_BDF,
  ATTR_HOST,
  ATTR_MESSAGE,
  ATTR_MODE,
  ATTR_SIM_LATENCY_NS,
  ATTR_WORKLOAD_CPU_NS_PER_IO,
  ATTR_WORKLOAD_IOPS,
  ATTR_WORKLOAD_IOTLB_HIT_RATE,
  ATTR_WORKLOAD_LATENCY_P99_NS,
  EVENT_DEVICE_FAULT,
  SERVICE_CLI,
  SPAN_HOST_RUN,
  SPAN_WORKLOAD,
} from '@iofleet/vocabulary';
import { type Attributes, trace } from '@opentelemetry/api';

/** A traced run's result, and the flush of its spans (await it after printing the result). */
export interface Traced<T> {
  result: T;
  flushed: Promise<void>;
}

/**
 * Runs `fn` with DMA tracing on, under one root span `rootName` with `attributes` (what ran where:
 * names of spans stay free of host names). Errors of `fn` propagate after the spans are flushed.
 */
export async function withSimTracing<T>(
  rootName: string,
  attributes: Attributes,
  sampleEvery: number,
  fn: (tracer: SimTracer) => T | Promise<T>,
): Promise<Traced<T>> {
  const tracing = startTracing({ serviceName: SERVICE_CLI, oneShot: true, timeoutMs: CLI_EXPORT_TIMEOUT_MS });
  const tracer = trace.getTracer(SERVICE_CLI);
  let result: T;
  try {
    result = await tracer.startActiveSpan(rootName, { attributes }, async (root) => {
      try {
        return await fn(new OtelSimTracer(tracer, { sampleEvery }));
      } finally {
        root.end();
      }
    });
  } catch (e) {
    await tracing.shutdown();
    throw e;
  }
  return { result, flushed: tracing.shutdown() };
}

/** `host run --trace`: the modes' rows, with one host.workload span per mode under host.run. */
export function traceHostRun(
  host: string,
  sampleEvery: number,
  run: (tracer: SimTracer) => HostRunRow[],
): Promise<Traced<HostRunRow[]>> {
  const tracer = trace.getTracer(SERVICE_CLI);
  return withSimTracing(SPAN_HOST_RUN, { [ATTR_HOST]: host }, sampleEvery, (simTracer) => {
    const rows = run(simTracer);
    for (const r of rows) {
      const s = tracer.startSpan(SPAN_WORKLOAD, {
        attributes: {
          [ATTR_HOST]: host,
          [ATTR_DEVICE_BDF]: r.device,
          [ATTR_MODE]: r.mode,
          [ATTR_SIM_LATENCY_NS]: r.latencyP50Ns,
          [ATTR_WORKLOAD_IOPS]: r.iops,
          [ATTR_WORKLOAD_LATENCY_P99_NS]: r.latencyP99Ns,
          [ATTR_WORKLOAD_CPU_NS_PER_IO]: r.cpuNsPerIo,
          [ATTR_WORKLOAD_IOTLB_HIT_RATE]: r.iotlbHitRate,
        },
      });
      if (r.pluginFault) s.addEvent(EVENT_DEVICE_FAULT, { [ATTR_MESSAGE]: r.pluginFault });
      s.end();
    }
    return rows;
  });
}
