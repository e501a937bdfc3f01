// SPDX-License-Identifier: Apache-2.0
// Carrying a trace across process boundaries: W3C trace context in BullMQ job payloads (a
// `trace` field) and in gRPC metadata, and running a piece of work as a span under a given parent.
// Without a started SDK every call here is a cheap no-op.

import type { Metadata } from '@grpc/grpc-js';
import type { TraceCarrier } from '@iofleet/vocabulary';
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/** The active trace context as a carrier for a job payload. */
export function carrierFromActive(): TraceCarrier {
  const c: Record<string, string> = {};
  propagation.inject(context.active(), c);
  return { ...(c.traceparent && { traceparent: c.traceparent }), ...(c.tracestate && { tracestate: c.tracestate }) };
}

/** The context a carrier names (the root context when it names none). */
export function contextFromCarrier(c: TraceCarrier | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, { ...c });
}

/** Writes the active trace context into outgoing gRPC metadata. */
export function injectMetadata(md: Metadata): void {
  propagation.inject(context.active(), md, { set: (m, k, v) => m.set(k, v) });
}

/** The trace context of an incoming gRPC call. */
export function contextFromMetadata(md: Metadata): Context {
  return propagation.extract(ROOT_CONTEXT, md, {
    get: (m, k) => {
      const v = m.get(k);
      return v.length ? String(v[0]) : undefined;
    },
    keys: (m) => Object.keys(m.getMap()),
  });
}

/** Runs `fn` as the span `name` under `parent`; a throw marks the span failed and is rethrown. */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  parent: Context,
  fn: () => Promise<T> | T,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, parent, async (span) => {
    try {
      return await fn();
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      span.end();
    }
  });
}

/** The tracer of a service (a no-op tracer until an SDK is started). */
export function tracerOf(service: string): Tracer {
  return trace.getTracer(service);
}
