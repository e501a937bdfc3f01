// SPDX-License-Identifier: Apache-2.0
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { GuardedExporter } from './export-guard';

/** An exporter whose answers the test scripts: each export takes the next result. */
function scripted(results: ExportResult[]): SpanExporter & { calls: number } {
  const e = {
    calls: 0,
    export(_spans: ReadableSpan[], done: (r: ExportResult) => void) {
      const r = results[e.calls++] ?? { code: ExportResultCode.SUCCESS };
      done(r);
    },
    shutdown: () => Promise.reject(new Error('shutdown failed')),
  };
  return e;
}

const FAIL: ExportResult = { code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED 127.0.0.1:9') };
const OK: ExportResult = { code: ExportResultCode.SUCCESS };
const spans = (n: number) => Array.from({ length: n }, () => ({}) as ReadableSpan);
const run = (g: GuardedExporter, n: number) =>
  new Promise<ExportResult>((r) => {
    g.export(spans(n), r);
  });

describe('GuardedExporter', () => {
  it('one-shot: the first failure is one warning, later batches are dropped without trying, and the processor always hears success', async () => {
    const inner = scripted([FAIL, FAIL]);
    const warnings: string[] = [];
    const g = new GuardedExporter(inner, {
      target: 'http://x/v1/traces (http/protobuf)',
      giveUpAfterFailure: true,
      warn: (l) => warnings.push(l),
    });
    expect(await run(g, 3)).toEqual(OK);
    expect(await run(g, 2)).toEqual(OK);
    expect(inner.calls).toBe(1);
    expect(g.dropped).toBe(5);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^warning: traces not exported to http:\/\/x\/v1\/traces \(http\/protobuf\): connect ECONNREFUSED/,
    );
    await expect(g.shutdown()).resolves.toBeUndefined(); // the inner rejection is swallowed
  });

  it('long-running: keeps trying, warns once per outage and says when exports work again', async () => {
    const inner = scripted([FAIL, FAIL, FAIL, OK, OK, FAIL]);
    const warnings: string[] = [];
    const g = new GuardedExporter(inner, { target: 't', giveUpAfterFailure: false, warn: (l) => warnings.push(l) });
    for (let i = 0; i < 6; i++) expect(await run(g, 1)).toEqual(OK);
    expect(inner.calls).toBe(6);
    expect(warnings.map((w) => w.split(':')[0])).toEqual(['warning', 'traces', 'warning']);
    expect(warnings[0]).toMatch(/will keep trying/);
    expect(g.dropped).toBe(4);
  });

  it('an exporter that throws is a failed export, not a crash', async () => {
    const warnings: string[] = [];
    const g = new GuardedExporter(
      {
        export: () => {
          throw new Error('boom');
        },
        shutdown: async () => undefined,
      },
      { target: 't', giveUpAfterFailure: true, warn: (l) => warnings.push(l) },
    );
    expect(await run(g, 1)).toEqual(OK);
    expect(warnings).toEqual([expect.stringMatching(/boom/)]);
  });
});
