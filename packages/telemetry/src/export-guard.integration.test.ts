// SPDX-License-Identifier: Apache-2.0
// Integration: the real OTLP exporters behind GuardedExporter, against a closed loopback port and
// against the in-repo receiver's port of the other protocol: one warning, no rejection, bounded.
import { createServer } from 'node:net';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuardedExporter } from './export-guard';
import { makeExporter, type OtlpProtocol } from './setup';
import { type OtlpReceiver, startOtlpReceiver } from './testing/index';

let rx: OtlpReceiver;
let closedPort: number;
beforeAll(async () => {
  rx = await startOtlpReceiver();
  // A port that was free a moment ago: nothing listens there.
  closedPort = await new Promise<number>((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => r(port));
    });
  });
});
afterAll(async () => {
  await rx.close();
});

async function emitTwice(protocol: OtlpProtocol, endpoint: string) {
  const warnings: string[] = [];
  const guard = new GuardedExporter(makeExporter({ serviceName: 't', endpoint, protocol, env: {}, timeoutMs: 2000 }), {
    target: `${endpoint} (${protocol})`,
    giveUpAfterFailure: true,
    warn: (l) => warnings.push(l),
  });
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(guard)] });
  const t0 = Date.now();
  for (let i = 0; i < 2; i++) provider.getTracer('t').startSpan(`s${i}`).end();
  await provider.forceFlush();
  await provider.shutdown();
  return { warnings, ms: Date.now() - t0, dropped: guard.dropped };
}

describe('GuardedExporter with real exporters', () => {
  it.each(['http/protobuf', 'grpc'] as const)(
    '%s to a closed port: one warning, within the timeout',
    async (protocol) => {
      const r = await emitTwice(protocol, `http://127.0.0.1:${closedPort}`);
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings[0]).toContain(`127.0.0.1:${closedPort}`);
      expect(r.dropped).toBe(2);
      expect(r.ms).toBeLessThan(10_000);
    },
  );

  it('http/protobuf to a gRPC port, and gRPC to an HTTP port: one warning each', async () => {
    const a = await emitTwice('http/protobuf', rx.grpcEndpoint);
    const b = await emitTwice('grpc', rx.httpEndpoint);
    expect(a.warnings).toHaveLength(1);
    expect(b.warnings).toHaveLength(1);
    expect(b.warnings[0]).toContain('(grpc)');
    expect(rx.spans).toHaveLength(0);
  });
});
