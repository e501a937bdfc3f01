// SPDX-License-Identifier: Apache-2.0
// `host run --trace`: one span per mode with the row's figures as attributes and the device's
// fault as a span event, exported over OTLP (the endpoint from the standard OTEL_* variables).
import type { HostRunRow } from '@iofleet/host';
import {
  ATTR_DEVICE_BDF,
  ATTR_HOST,
  ATTR_MODE,
  ATTR_SIM_LATENCY_NS,
  SPAN_WORKLOAD,
  startTracing,
} from '@iofleet/telemetry';
import { trace } from '@opentelemetry/api';

export async function traceHostRun(host: string, run: () => HostRunRow[]): Promise<HostRunRow[]> {
  const sdk = startTracing({ serviceName: 'iofleet-cli' });
  try {
    const tracer = trace.getTracer('iofleet-cli');
    return tracer.startActiveSpan(`host.run ${host}`, (root) => {
      const rows = run();
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
