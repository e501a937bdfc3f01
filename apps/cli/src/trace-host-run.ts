// SPDX-License-Identifier: Apache-2.0
// `host run --trace`: the sampled DMA spans of every mode's run (dma.map, dma.unmap,
// iommu.translate with IOTLB and page-walk events, iommu.fault), then one span per mode with the
// row's figures, all under one root span, exported over OTLP (endpoint and protocol from the
// standard OTEL_* variables).

import type { SimTracer } from '@iofleet/core';
import type { HostRunRow } from '@iofleet/host';
import {
  ATTR_DEVICE_BDF,
  ATTR_HOST,
  ATTR_MODE,
  ATTR_SIM_LATENCY_NS,
  OtelSimTracer,
  SERVICE_CLI,
  SPAN_WORKLOAD,
  startTracing,
} from '@iofleet/telemetry';
import { trace } from '@opentelemetry/api';

export async function traceHostRun(
  host: string,
  sampleEvery: number,
  run: (tracer: SimTracer) => HostRunRow[],
): Promise<HostRunRow[]> {
  const sdk = startTracing({ serviceName: SERVICE_CLI });
  try {
    const tracer = trace.getTracer(SERVICE_CLI);
    return tracer.startActiveSpan(`host.run ${host}`, (root) => {
      const rows = run(new OtelSimTracer(tracer, { sampleEvery }));
      for (const r of rows) {
        const s = tracer.startSpan(SPAN_WORKLOAD, {
          attributes: {
            [ATTR_HOST]: host,
            [ATTR_DEVICE_BDF]: r.device,
            [ATTR_MODE]: r.mode,
            [ATTR_SIM_LATENCY_NS]: r.latencyP50Ns,
            'iofleet.workload.iops': r.iops,
            'iofleet.workload.latency_p99_ns': r.latencyP99Ns,
            'iofleet.workload.cpu_ns_per_io': r.cpuNsPerIo,
            'iofleet.workload.iotlb_hit_rate': r.iotlbHitRate,
          },
        });
        if (r.pluginFault) s.addEvent('device.fault', { message: r.pluginFault });
        s.end();
      }
      root.end();
      return rows;
    });
  } finally {
    await sdk.shutdown();
  }
}

/** Runs `fn` with DMA tracing on, under one root span, and flushes the spans before returning. */
export async function withSimTracing<T>(
  rootName: string,
  sampleEvery: number,
  fn: (tracer: SimTracer) => T | Promise<T>,
): Promise<T> {
  const sdk = startTracing({ serviceName: SERVICE_CLI });
  try {
    const tracer = trace.getTracer(SERVICE_CLI);
    return await tracer.startActiveSpan(rootName, async (root) => {
      try {
        return await fn(new OtelSimTracer(tracer, { sampleEvery }));
      } finally {
        root.end();
      }
    });
  } finally {
    await sdk.shutdown();
  }
}
