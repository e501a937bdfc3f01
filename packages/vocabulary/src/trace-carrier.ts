// SPDX-License-Identifier: Apache-2.0
// The trace context one process hands to the next: W3C Trace Context (https://www.w3.org/TR/trace-context/)
// `traceparent` and `tracestate` headers, carried in BullMQ job payloads (a `trace` field) so a VM
// request is one trace end to end. @iofleet/telemetry fills and reads it; @iofleet/jobs carries it.

/** W3C trace context carried across a process boundary; both fields absent: no trace. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}
