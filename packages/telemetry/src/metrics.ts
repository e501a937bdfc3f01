// SPDX-License-Identifier: Apache-2.0
// Prometheus metrics of the agent and the scheduler (prom-client), served at /metrics by a small
// HTTP server: queue depths, placements, attach latency, and the simulated DMA latency of device
// workloads per mode. The names are in @iofleet/vocabulary (iofleet_<what>_<unit>, as Prometheus
// recommends).

import { createServer, type Server } from 'node:http';
import {
  METRIC_ATTACH_LATENCY,
  METRIC_ATTACHES,
  METRIC_DMA_LATENCY,
  METRIC_PLACEMENTS,
  METRIC_QUEUE_DEPTH,
} from '@iofleet/vocabulary';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Buckets of simulated DMA latency, seconds: 1 µs .. ~10 ms, doubling. */
const DMA_BUCKETS = Array.from({ length: 14 }, (_, i) => 1e-6 * 2 ** i);
/** Buckets of attach latency, seconds (wall clock of the real system). */
const ATTACH_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class IofleetMetrics {
  readonly registry = new Registry();
  readonly placements: Counter<'result'>;
  readonly attachSeconds: Histogram<'role'>;
  readonly attaches: Counter<'result'>;
  readonly dmaLatencySeconds: Histogram<'mode' | 'plugin'>;
  readonly queueDepth: Gauge<'queue' | 'state'>;

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.placements = new Counter({
      name: METRIC_PLACEMENTS,
      help: 'VM placement decisions, by result (placed or rejected)',
      labelNames: ['result'],
      registers: [this.registry],
    });
    this.attaches = new Counter({
      name: METRIC_ATTACHES,
      help: 'VFIO attach requests, by result',
      labelNames: ['result'],
      registers: [this.registry],
    });
    this.attachSeconds = new Histogram({
      name: METRIC_ATTACH_LATENCY,
      help: 'Attach latency: the scheduler job (role=scheduler) or the agent call (role=agent)',
      labelNames: ['role'],
      buckets: ATTACH_BUCKETS,
      registers: [this.registry],
    });
    this.dmaLatencySeconds = new Histogram({
      name: METRIC_DMA_LATENCY,
      help: 'Simulated I/O latency of device workloads (sampled I/Os of each run), by IOMMU mode and plugin',
      labelNames: ['mode', 'plugin'],
      buckets: DMA_BUCKETS,
      registers: [this.registry],
    });
    this.queueDepth = new Gauge({
      name: METRIC_QUEUE_DEPTH,
      help: 'Jobs in the scheduler queues, by queue and state (read at scrape time)',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
    });
  }
}

/** Serves GET /metrics on host:port (port 0: any free port); resolves with the bound address. */
export async function startMetricsServer(
  m: IofleetMetrics,
  listen: string,
  beforeScrape?: () => Promise<void>,
): Promise<{ address: string; server: Server }> {
  const cut = listen.lastIndexOf(':');
  const host = listen.slice(0, cut);
  const port = Number(listen.slice(cut + 1));
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found: try /metrics\n');
      return;
    }
    (beforeScrape ? beforeScrape() : Promise.resolve())
      .then(() => m.registry.metrics())
      .then(
        (text) => res.writeHead(200, { 'content-type': m.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(`metrics failed: ${e instanceof Error ? e.message : String(e)}\n`),
      );
  });
  await new Promise<void>((r, j) => server.once('error', j).listen(port, host, () => r()));
  const a = server.address();
  return { address: typeof a === 'object' && a ? `${host}:${a.port}` : listen, server };
}
