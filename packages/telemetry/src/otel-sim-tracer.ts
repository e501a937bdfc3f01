// SPDX-License-Identifier: Apache-2.0
// Adapts core's SimTracer interface (packages/core/src/trace/sim-tracer.ts; matched structurally,
// so telemetry does not depend on core) to OpenTelemetry. Simulated nanoseconds are laid on a
// wall-clock base taken when the tracer is made, so in Jaeger a span's duration IS the simulated
// latency and spans of one simulated run line up.

import { context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';

type Value = string | number | boolean;
type Attrs = Readonly<Record<string, Value>>;

interface AdaptedSpan {
  readonly span: Span;
  setAttribute(key: string, value: Value): void;
  addEvent(name: string, attributes?: Attrs, simTimeNs?: number): void;
  setError(message: string): void;
  end(simEndNs: number): void;
}

export interface OtelSimTracerOptions {
  /** Sample one operation in N (1 = every operation). 0 disables tracing. */
  sampleEvery: number;
  /** Wall-clock time (ms since the epoch) at simulated time 0; default: now. */
  baseEpochMs?: number;
}

export class OtelSimTracer {
  readonly enabled: boolean;
  private readonly baseMs: number;
  private n = 0;
  constructor(
    private readonly tracer: Tracer,
    private readonly opts: OtelSimTracerOptions,
  ) {
    this.enabled = opts.sampleEvery > 0;
    this.baseMs = opts.baseEpochMs ?? Date.now();
  }

  /** Wall time [seconds, nanoseconds] for a simulated time (HrTime, exact to the nanosecond). */
  private time(simNs: number): [number, number] {
    // Split so no intermediate exceeds 2^53 (epoch nanoseconds would).
    const within = (this.baseMs % 1000) * 1e6 + simNs;
    const carry = Math.floor(within / 1e9);
    return [Math.floor(this.baseMs / 1000) + carry, Math.round(within - carry * 1e9)];
  }

  sample(): boolean {
    return this.enabled && this.n++ % this.opts.sampleEvery === 0;
  }

  startSpan(name: string, simStartNs: number, attributes: Attrs = {}, parent?: unknown): AdaptedSpan {
    const parentSpan = (parent as AdaptedSpan | undefined)?.span;
    const ctx = parentSpan ? trace.setSpan(context.active(), parentSpan) : context.active();
    const span = this.tracer.startSpan(name, { startTime: this.time(simStartNs), attributes }, ctx);
    return {
      span,
      setAttribute: (k, v) => {
        span.setAttribute(k, v);
      },
      addEvent: (n, a = {}, t) => {
        span.addEvent(n, a, t === undefined ? undefined : this.time(t));
      },
      setError: (m) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: m });
      },
      end: (t) => {
        span.end(this.time(t));
      },
    };
  }
}
