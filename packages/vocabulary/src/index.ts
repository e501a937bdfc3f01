// SPDX-License-Identifier: Apache-2.0
// The one vocabulary of span, event, attribute, service and metric names (STYLE.md item 15). These
// strings are a contract with whoever reads the telemetry (Jaeger searches, dashboards, alerts):
// nothing else in the tree spells them, and renaming one is a breaking change for those readers.
// Attribute keys follow OpenTelemetry's naming rules (lower-case, dot-separated, our `iofleet.`
// namespace); metric names follow Prometheus's (`iofleet_<what>_<unit>`).

/** Span names. */
export const SPAN_DMA_MAP = 'dma.map';
export const SPAN_DMA_UNMAP = 'dma.unmap';
export const SPAN_IOMMU_TRANSLATE = 'iommu.translate';
export const SPAN_IOMMU_FAULT = 'iommu.fault';
export const SPAN_IOMMU_INVALIDATE = 'iommu.invalidate';
export const SPAN_VM_REQUEST = 'scheduler.vm_request';
export const SPAN_PLACEMENT = 'scheduler.placement';
export const SPAN_ATTACH_JOB = 'scheduler.attach';
export const SPAN_ATTACH = 'host_agent.attach';
export const SPAN_DOMAIN_ATTACH = 'host.domain_attach';
export const SPAN_WORKLOAD = 'host.workload';
/** Root spans of the CLI's traced runs; what they ran on (host, scenario) is in attributes. */
export const SPAN_HOST_RUN = 'host.run';
export const SPAN_SIMULATE = 'simulate';

/** Span events. */
export const EVENT_IOTLB_HIT = 'iotlb.hit';
export const EVENT_IOTLB_MISS = 'iotlb.miss';
export const EVENT_WALK_LEVEL = 'page_walk.level';
export const EVENT_INVALIDATION_WAIT = 'invalidation.wait';
/** A device plugin threw during a run (STYLE.md item 10); its message is in ATTR_MESSAGE. */
export const EVENT_DEVICE_FAULT = 'device.fault';

/** Attribute keys. */
export const ATTR_HOST = 'iofleet.host';
export const ATTR_DEVICE_BDF = 'iofleet.device.bdf';
export const ATTR_DOMAIN_ID = 'iofleet.domain.id';
export const ATTR_IOVA = 'iofleet.dma.iova';
export const ATTR_LENGTH = 'iofleet.dma.length';
export const ATTR_DIRECTION = 'iofleet.dma.direction';
export const ATTR_MODE = 'iofleet.iommu.mode';
/** The SIMULATED latency of the operation in nanoseconds (never the simulator's wall time). */
export const ATTR_SIM_LATENCY_NS = 'iofleet.sim.latency_ns';
export const ATTR_FAULT_REASON = 'iofleet.fault.reason';
export const ATTR_WALK_LEVEL = 'iofleet.walk.level';
export const ATTR_VM_ID = 'iofleet.vm.id';
export const ATTR_REQUEST_ID = 'iofleet.request.id';
export const ATTR_VARIANT = 'iofleet.variant';
export const ATTR_SCENARIO = 'iofleet.scenario';
/** Figures of one device workload run (a host.workload span), in simulated time. */
export const ATTR_WORKLOAD_IOPS = 'iofleet.workload.iops';
export const ATTR_WORKLOAD_LATENCY_P99_NS = 'iofleet.workload.latency_p99_ns';
export const ATTR_WORKLOAD_CPU_NS_PER_IO = 'iofleet.workload.cpu_ns_per_io';
export const ATTR_WORKLOAD_IOTLB_HIT_RATE = 'iofleet.workload.iotlb_hit_rate';
/** A human-readable message on an event (e.g. EVENT_DEVICE_FAULT). */
export const ATTR_MESSAGE = 'message';

/** service.name of each app. */
export const SERVICE_CLI = 'iofleet-cli';
export const SERVICE_HOST_AGENT = 'iofleet-host-agent';
export const SERVICE_SCHEDULER = 'iofleet-scheduler';

/** Prometheus metric names (served at /metrics by the agent and the scheduler). */
export const METRIC_PLACEMENTS = 'iofleet_placements_total';
export const METRIC_ATTACHES = 'iofleet_attaches_total';
export const METRIC_ATTACH_LATENCY = 'iofleet_attach_latency_seconds';
export const METRIC_DMA_LATENCY = 'iofleet_dma_latency_seconds';
export const METRIC_QUEUE_DEPTH = 'iofleet_queue_depth';

export type { TraceCarrier } from './trace-carrier';
