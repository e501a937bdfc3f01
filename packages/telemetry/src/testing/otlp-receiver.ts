// SPDX-License-Identifier: Apache-2.0
// An in-repo OTLP trace receiver for tests (no Jaeger or Collector exists on this machine): the
// gRPC TraceService/Export method and the HTTP POST /v1/traces endpoint (protobuf or JSON bodies),
// all decoding with the ts-proto OTLP subset in @iofleet/proto and flattening spans for assertions.

import { createServer, type Server as HttpServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import {
  type OtlpAnyValue,
  OtlpExportTraceServiceRequest,
  type OtlpKeyValue,
  type OtlpTraceServiceServer,
  OtlpTraceServiceService,
} from '@iofleet/proto';

export interface ReceivedSpan {
  service: string;
  /** Every attribute of the span's resource (service.name, service.version, ...). */
  resource: Record<string, unknown>;
  scope: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  statusCode: number;
}

function anyValue(v: OtlpAnyValue | undefined): unknown {
  const u = v?.value;
  if (!u) return undefined;
  if (u.$case === 'arrayValue') return u.value.values.map(anyValue);
  if (u.$case === 'kvlistValue') return attrs(u.value.values);
  return u.value;
}

function attrs(kvs: readonly OtlpKeyValue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of kvs) out[kv.key] = anyValue(kv.value);
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function collect(req: OtlpExportTraceServiceRequest, into: ReceivedSpan[]): void {
  for (const rs of req.resourceSpans) {
    const resource = attrs(rs.resource?.attributes ?? []);
    const service = String(resource['service.name'] ?? '');
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        into.push({
          service,
          resource,
          scope: ss.scope?.name ?? '',
          name: s.name,
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          startNs: s.startTimeUnixNano,
          endNs: s.endTimeUnixNano,
          attributes: attrs(s.attributes),
          events: s.events.map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
          statusCode: s.status?.code ?? 0,
        });
      }
    }
  }
}

/** OTLP/JSON ids are hex (OTLP specification, "JSON Protobuf Encoding"); ts-proto's fromJSON reads base64. */
const HEX_ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

function fromOtlpJson(body: Buffer): OtlpExportTraceServiceRequest {
  const obj = JSON.parse(body.toString('utf8'), (k, v) =>
    HEX_ID_KEYS.has(k) && typeof v === 'string' ? Buffer.from(v, 'hex').toString('base64') : v,
  );
  return OtlpExportTraceServiceRequest.fromJSON(obj);
}

export interface OtlpReceiver {
  /** OTLP/gRPC endpoint, e.g. http://127.0.0.1:4317-like. */
  grpcEndpoint: string;
  /** OTLP/HTTP base endpoint (exporters append /v1/traces). */
  httpEndpoint: string;
  spans: ReceivedSpan[];
  /** Resolves when `pred` holds over the received spans, or rejects after `timeoutMs`. */
  waitFor(pred: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server = new grpc.Server();
  const impl: OtlpTraceServiceServer = {
    export(call, cb) {
      collect(call.request, spans);
      cb(null, {});
    },
  };
  server.addService(OtlpTraceServiceService, impl);
  const grpcPort = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
  const http: HttpServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      try {
        const body = Buffer.concat(chunks);
        const json = /json/.test(req.headers['content-type'] ?? '');
        collect(json ? fromOtlpJson(body) : OtlpExportTraceServiceRequest.decode(body), spans);
        if (json) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const httpPort = (http.address() as { port: number }).port;
  return {
    grpcEndpoint: `http://127.0.0.1:${grpcPort}`,
    httpEndpoint: `http://127.0.0.1:${httpPort}`,
    spans,
    waitFor(pred, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const t0 = Date.now();
        const tick = () => {
          if (pred(spans)) resolve(spans);
          else if (Date.now() - t0 > timeoutMs)
            reject(new Error(`OTLP receiver: condition not met in ${timeoutMs} ms (${spans.length} spans)`));
          else setTimeout(tick, 25);
        };
        tick();
      });
    },
    async close() {
      await new Promise<void>((r) => server.tryShutdown(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
