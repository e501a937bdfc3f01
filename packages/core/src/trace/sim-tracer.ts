// SPDX-License-Identifier: Apache-2.0
// The small tracing interface core sees (STYLE.md item 15): core never imports OpenTelemetry.
// @iofleet/telemetry adapts it to OTel spans. Times are SIMULATED nanoseconds; the adapter places
// them on a wall-clock base so Jaeger shows the simulated latency as the span's duration.
// Sampling is decided once per operation, outside any page-walk loop; with the no-op tracer a call
// site costs one property read.

export type SimAttributeValue = string | number | boolean;
export type SimAttributes = Readonly<Record<string, SimAttributeValue>>;

export interface SimSpan {
  setAttribute(key: string, value: SimAttributeValue): void;
  addEvent(name: string, attributes?: SimAttributes, simTimeNs?: number): void;
  /** Marks the span as failed (a simulated fault), with a message. */
  setError(message: string): void;
  end(simEndNs: number): void;
}

export interface SimTracer {
  /** False for the no-op tracer: callers skip building attributes entirely. */
  readonly enabled: boolean;
  /** Sampling decision for one operation (e.g. one DMA map). */
  sample(): boolean;
  startSpan(name: string, simStartNs: number, attributes?: SimAttributes, parent?: SimSpan): SimSpan;
}

const NOOP_SPAN: SimSpan = {
  setAttribute() {},
  addEvent() {},
  setError() {},
  end() {},
};

export const NOOP_TRACER: SimTracer = {
  enabled: false,
  sample: () => false,
  startSpan: () => NOOP_SPAN,
};

/** A tracer that records spans in memory, for unit tests of instrumented code. */
export interface RecordedSpan {
  name: string;
  startNs: number;
  endNs: number;
  attributes: Record<string, SimAttributeValue>;
  events: { name: string; attributes: SimAttributes; timeNs: number }[];
  error?: string;
  parent?: RecordedSpan;
}

export class RecordingTracer implements SimTracer {
  readonly enabled = true;
  readonly spans: RecordedSpan[] = [];
  constructor(private readonly sampleEvery = 1) {}
  private n = 0;
  sample(): boolean {
    return this.n++ % this.sampleEvery === 0;
  }
  startSpan(name: string, simStartNs: number, attributes: SimAttributes = {}, parent?: SimSpan): SimSpan {
    const rec: RecordedSpan = {
      name,
      startNs: simStartNs,
      endNs: Number.NaN,
      attributes: { ...attributes },
      events: [],
      parent: parent ? (parent as unknown as { rec: RecordedSpan }).rec : undefined,
    };
    this.spans.push(rec);
    return {
      rec,
      setAttribute: (k: string, v: SimAttributeValue) => {
        rec.attributes[k] = v;
      },
      addEvent: (n: string, a: SimAttributes = {}, t = Number.NaN) => {
        rec.events.push({ name: n, attributes: a, timeNs: t });
      },
      setError: (m: string) => {
        rec.error = m;
      },
      end: (t: number) => {
        rec.endNs = t;
      },
    } as SimSpan;
  }
}
