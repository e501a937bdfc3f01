// SPDX-License-Identifier: Apache-2.0
// The one unary gRPC call as a promise, used by every client in this package (AgentClient,
// SchedulerApi, the standard-service clients): a deadline on every call, the caller's W3C trace
// context in the metadata, and a failure as a typed GrpcCallError carrying the status code and name.

import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { context, propagation } from '@opentelemetry/api';

/** Default deadline of one call, ms. */
export const DEFAULT_CALL_DEADLINE_MS = 10_000;

/** A gRPC status code's name (e.g. 'ALREADY_EXISTS'), as grpc.status spells it. */
export type StatusName = keyof typeof grpc.status;

const STATUS_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v, k])) as Record<number, string>;

/** The name of a numeric gRPC status code ('UNKNOWN_STATUS_<n>' for a code gRPC does not define). */
export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `UNKNOWN_STATUS_${code}`;
}

/** A call that ended with a non-OK status: which method, and the status the server (or the channel) gave. */
export class GrpcCallError extends Error {
  override readonly name: string = 'GrpcCallError';
  constructor(
    readonly method: string,
    /** gRPC status code and its name (e.g. 9, 'FAILED_PRECONDITION'). */
    readonly code: number,
    readonly codeName: string,
    readonly details: string,
  ) {
    super(`${method}: ${codeName}: ${details}`);
  }
}

/** Builds the typed error of one client from a failed call (AgentCallError, SchedulerCallError...). */
export type CallErrorOf<E extends GrpcCallError = GrpcCallError> = new (
  method: string,
  code: number,
  codeName: string,
  details: string,
) => E;

/** The typed error of `method` from a ServiceError (the status of a failed unary call or stream). */
export function callError<E extends GrpcCallError = GrpcCallError>(
  method: string,
  e: grpc.ServiceError,
  ErrorOf: CallErrorOf<E>,
): E {
  return new ErrorOf(method, e.code, statusName(e.code), e.details ?? e.message);
}

/** A unary method of a generated client, in its (request, metadata, options, callback) form. */
export type UnaryMethod<Req, Res> = (
  req: Req,
  md: grpc.Metadata,
  opts: Partial<grpc.CallOptions>,
  cb: (e: grpc.ServiceError | null, r: Res) => void,
) => grpc.ClientUnaryCall;

/** The caller's active trace context as gRPC metadata (W3C traceparent/tracestate). */
export function traceMetadata(): grpc.Metadata {
  const md = new grpc.Metadata();
  propagation.inject(context.active(), md, { set: (m, k, v) => m.set(k, v) });
  return md;
}

export interface UnaryCallOptions {
  /** Deadline of the call, ms from now (DEFAULT_CALL_DEADLINE_MS if absent). */
  deadlineMs?: number;
  /** The typed error a failure becomes (GrpcCallError if absent). */
  errorOf?: CallErrorOf;
}

/**
 * Calls `fn` (a unary method of `client`) with `req`: resolves with the answer, or rejects with the
 * typed error of `method` once the server answers with a non-OK status or the deadline passes.
 */
export function unaryCall<Req, Res>(
  client: grpc.Client,
  method: string,
  fn: UnaryMethod<Req, Res>,
  req: Req,
  o: UnaryCallOptions = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + (o.deadlineMs ?? DEFAULT_CALL_DEADLINE_MS));
    fn.call(client, req, traceMetadata(), { deadline }, (e, r) =>
      e ? reject(callError(method, e, o.errorOf ?? GrpcCallError)) : resolve(r),
    );
  });
}

/** Channel options of every client here: loopback and fleet addresses never go through an HTTP proxy. */
export const CHANNEL_OPTIONS = { 'grpc.enable_http_proxy': 0 } as const;

/** The channel options of a client; `serverName` overrides the TLS target name (a certificate naming another host). */
export function channelOptions(serverName?: string): grpc.ChannelOptions {
  return { ...CHANNEL_OPTIONS, ...(serverName && { 'grpc.ssl_target_name_override': serverName }) };
}

export interface ClientTlsFiles {
  /** CA bundle that signed the server's certificate. */
  ca: string;
  /** Client certificate and key, for mutual TLS. */
  cert?: string;
  key?: string;
}

/** How AgentClient and SchedulerApi reach their server. */
export interface ClientOptions {
  tls?: ClientTlsFiles;
  deadlineMs?: number;
  /** Overrides the TLS target name (when the certificate names another host). */
  serverName?: string;
}

/** Insecure without `tls`; else TLS, or mutual TLS with a client certificate, from the files. */
export function clientCredentials(tls?: ClientTlsFiles): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(
    readFileSync(tls.ca),
    tls.key ? readFileSync(tls.key) : null,
    tls.cert ? readFileSync(tls.cert) : null,
  );
}

/** A generated client's constructor (what ts-proto's makeGenericClientConstructor gives). */
export type ClientConstructor<C extends grpc.Client> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => C;

/**
 * What AgentClient and SchedulerApi share: the generated client on a channel built from the
 * options, a default deadline, the typed error of a failure.
 */
export abstract class PromiseClient<C extends grpc.Client> {
  readonly raw: C;
  private readonly deadlineMs: number;

  protected constructor(
    Client: ClientConstructor<C>,
    readonly address: string,
    o: ClientOptions,
    private readonly errorOf: CallErrorOf,
  ) {
    this.raw = new Client(address, clientCredentials(o.tls), channelOptions(o.serverName));
    this.deadlineMs = o.deadlineMs ?? DEFAULT_CALL_DEADLINE_MS;
  }

  /** One unary call with this client's deadline (or `deadlineMs`) and the caller's trace context. */
  protected call<Req, Res>(method: string, fn: UnaryMethod<Req, Res>, req: Req, deadlineMs?: number): Promise<Res> {
    return unaryCall(this.raw, method, fn, req, { deadlineMs: deadlineMs ?? this.deadlineMs, errorOf: this.errorOf });
  }

  close(): void {
    this.raw.close();
  }
}
