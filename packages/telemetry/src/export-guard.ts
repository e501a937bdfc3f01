// SPDX-License-Identifier: Apache-2.0
// Traces are a by-product: a trace backend that is down, unreachable or speaking another protocol
// must never cost a run its results nor flood a log. GuardedExporter wraps the OTLP exporter:
// a failed export is reported once (one line on stderr, naming the endpoint and the protocol),
// and the span processor always hears success, so OpenTelemetry's global error handler stays
// quiet. A one-shot command (the CLI) stops exporting after the first failure (no more waiting on
// a dead endpoint); a long-running process keeps trying and says once when exports work again.

import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface GuardOptions {
  /** Where the spans go and how, for the warning: e.g. 'http://localhost:4318/v1/traces (http/protobuf)'. */
  target: string;
  /** One-shot: give up after the first failure. Long-running: keep trying, warn once per outage. */
  giveUpAfterFailure: boolean;
  /** Where warnings go (default: one line on stderr). */
  warn?: (line: string) => void;
}

const stderrLine = (line: string) => {
  process.stderr.write(`${line}\n`);
};

function reason(r: ExportResult): string {
  const msg = r.error?.message ?? 'export failed';
  // grpc-js appends "Resolution note:" and timestamps; one short line is enough.
  return msg
    .replace(/\s*Resolution note:.*$/s, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export class GuardedExporter implements SpanExporter {
  private failing = false;
  private gaveUp = false;
  /** Spans not delivered (dropped after giving up, or in failed exports). */
  dropped = 0;

  constructor(
    private readonly inner: SpanExporter,
    private readonly o: GuardOptions,
  ) {}

  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    if (this.gaveUp) {
      this.dropped += spans.length;
      done({ code: ExportResultCode.SUCCESS });
      return;
    }
    try {
      this.inner.export(spans, (r) => {
        this.settle(r, spans.length);
        done({ code: ExportResultCode.SUCCESS });
      });
    } catch (e) {
      this.settle(
        { code: ExportResultCode.FAILED, error: e instanceof Error ? e : new Error(String(e)) },
        spans.length,
      );
      done({ code: ExportResultCode.SUCCESS });
    }
  }

  private settle(r: ExportResult, n: number): void {
    const warn = this.o.warn ?? stderrLine;
    if (r.code === ExportResultCode.SUCCESS) {
      if (this.failing) warn(`traces: export to ${this.o.target} works again`);
      this.failing = false;
      return;
    }
    this.dropped += n;
    if (!this.failing)
      warn(
        `warning: traces not exported to ${this.o.target}: ${reason(r)}; results are not affected ` +
          `(is a trace collector listening there, speaking this protocol? OTEL_EXPORTER_OTLP_ENDPOINT, ` +
          `OTEL_EXPORTER_OTLP_PROTOCOL)${this.o.giveUpAfterFailure ? '' : '; will keep trying'}`,
      );
    this.failing = true;
    if (this.o.giveUpAfterFailure) this.gaveUp = true;
  }

  async forceFlush(): Promise<void> {
    await this.inner.forceFlush?.().catch(() => undefined);
  }

  async shutdown(): Promise<void> {
    await this.inner.shutdown().catch(() => undefined);
  }
}
