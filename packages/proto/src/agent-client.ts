// SPDX-License-Identifier: Apache-2.0
// A typed, promise-based client of the HostAgent service, shared by the scheduler and the CLI:
// every call carries a deadline, errors come back as AgentCallError with the gRPC status name,
// and credentials are built once from certificate files (TLS, or mutual TLS with a client cert).

import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { context, propagation } from '@opentelemetry/api';
import {
  type AttachDevicesRequest,
  type AttachDevicesResponse,
  type DetachDevicesRequest,
  type DetachDevicesResponse,
  type HealthResponse,
  HostAgentClient,
  type HostInventory,
  type RunWorkloadRequest,
  type WatchEventsResponse,
  type WorkloadResult,
} from './gen/iofleet/v1/host_agent';

/** Default deadline of one call, ms. */
export const DEFAULT_CALL_DEADLINE_MS = 10_000;

export interface ClientTlsFiles {
  /** CA bundle that signed the agent's certificate. */
  ca: string;
  /** Client certificate and key, for mutual TLS. */
  cert?: string;
  key?: string;
}

export interface AgentClientOptions {
  tls?: ClientTlsFiles;
  deadlineMs?: number;
  /** Overrides the TLS target name (when the certificate names another host). */
  serverName?: string;
}

const STATUS_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v, k])) as Record<number, string>;

export class AgentCallError extends Error {
  override readonly name = 'AgentCallError';
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

export function clientCredentials(tls?: ClientTlsFiles): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(
    readFileSync(tls.ca),
    tls.key ? readFileSync(tls.key) : null,
    tls.cert ? readFileSync(tls.cert) : null,
  );
}

type Unary<Req, Res> = (
  req: Req,
  md: grpc.Metadata,
  opts: Partial<grpc.CallOptions>,
  cb: (e: grpc.ServiceError | null, r: Res) => void,
) => grpc.ClientUnaryCall;

export class AgentClient {
  readonly raw: HostAgentClient;
  private readonly deadlineMs: number;

  constructor(
    readonly address: string,
    o: AgentClientOptions = {},
  ) {
    this.raw = new HostAgentClient(address, clientCredentials(o.tls), {
      'grpc.enable_http_proxy': 0,
      ...(o.serverName && { 'grpc.ssl_target_name_override': o.serverName }),
    });
    this.deadlineMs = o.deadlineMs ?? DEFAULT_CALL_DEADLINE_MS;
  }

  private call<Req, Res>(method: string, fn: Unary<Req, Res>, req: Req, deadlineMs?: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      // The caller's trace continues on the agent (W3C trace context in the metadata).
      const md = new grpc.Metadata();
      propagation.inject(context.active(), md, { set: (m, k, v) => m.set(k, v) });
      fn.call(this.raw, req, md, { deadline: new Date(Date.now() + (deadlineMs ?? this.deadlineMs)) }, (e, r) =>
        e ? reject(new AgentCallError(method, e.code, STATUS_NAMES[e.code] ?? String(e.code), e.details)) : resolve(r),
      );
    });
  }

  health(deadlineMs?: number): Promise<HealthResponse> {
    return this.call('Health', this.raw.health as Unary<object, HealthResponse>, {}, deadlineMs);
  }

  async inventory(hostId = '', deadlineMs?: number): Promise<HostInventory[]> {
    const r = await this.call(
      'GetInventory',
      this.raw.getInventory as Unary<object, { hosts: HostInventory[] }>,
      { hostId },
      deadlineMs,
    );
    return r.hosts;
  }

  attach(req: AttachDevicesRequest, deadlineMs?: number): Promise<AttachDevicesResponse> {
    return this.call(
      'AttachDevices',
      this.raw.attachDevices as Unary<AttachDevicesRequest, AttachDevicesResponse>,
      req,
      deadlineMs,
    );
  }

  detach(req: DetachDevicesRequest, deadlineMs?: number): Promise<DetachDevicesResponse> {
    return this.call(
      'DetachDevices',
      this.raw.detachDevices as Unary<DetachDevicesRequest, DetachDevicesResponse>,
      req,
      deadlineMs,
    );
  }

  async runWorkload(req: RunWorkloadRequest, deadlineMs?: number): Promise<WorkloadResult> {
    const r = await this.call(
      'RunWorkload',
      this.raw.runWorkload as Unary<RunWorkloadRequest, { result?: WorkloadResult }>,
      req,
      deadlineMs,
    );
    if (!r.result) throw new AgentCallError('RunWorkload', grpc.status.INTERNAL, 'INTERNAL', 'empty result');
    return r.result;
  }

  async stats(hostId = '', deadlineMs?: number): Promise<Record<string, number>> {
    const r = await this.call(
      'GetStats',
      this.raw.getStats as Unary<object, { counters: Record<string, number> }>,
      { hostId },
      deadlineMs,
    );
    return r.counters;
  }

  /** Subscribes to the agent's events; returns a function that cancels the stream. */
  watch(hostId: string, onEvent: (e: WatchEventsResponse) => void, onEnd?: (e?: Error) => void): () => void {
    const stream = this.raw.watchEvents({ hostId });
    stream.on('data', onEvent);
    stream.on('error', (e: grpc.ServiceError) => {
      if (e.code !== grpc.status.CANCELLED)
        onEnd?.(new AgentCallError('WatchEvents', e.code, STATUS_NAMES[e.code] ?? '', e.details));
    });
    stream.on('end', () => onEnd?.());
    return () => stream.cancel();
  }

  close(): void {
    this.raw.close();
  }
}
