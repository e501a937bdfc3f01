// SPDX-License-Identifier: Apache-2.0
// A typed, promise-based client of the HostAgent service, shared by the scheduler and the CLI:
// every call carries a deadline, errors come back as AgentCallError with the gRPC status name,
// and credentials are built once from certificate files (TLS, or mutual TLS with a client cert).

import * as grpc from '@grpc/grpc-js';
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
import { type ClientOptions, callError, GrpcCallError, PromiseClient } from './grpc-call';

/** How an AgentClient reaches its agent. */
export type AgentClientOptions = ClientOptions;

/** A HostAgent call that ended with a non-OK status. */
export class AgentCallError extends GrpcCallError {
  override readonly name = 'AgentCallError';
}

export class AgentClient extends PromiseClient<HostAgentClient> {
  constructor(address: string, o: AgentClientOptions = {}) {
    super(HostAgentClient, address, o, AgentCallError);
  }

  health(deadlineMs?: number): Promise<HealthResponse> {
    return this.call('Health', this.raw.health, {}, deadlineMs);
  }

  async inventory(hostId = '', deadlineMs?: number): Promise<HostInventory[]> {
    const r = await this.call('GetInventory', this.raw.getInventory, { hostId }, deadlineMs);
    return r.hosts;
  }

  attach(req: AttachDevicesRequest, deadlineMs?: number): Promise<AttachDevicesResponse> {
    return this.call('AttachDevices', this.raw.attachDevices, req, deadlineMs);
  }

  detach(req: DetachDevicesRequest, deadlineMs?: number): Promise<DetachDevicesResponse> {
    return this.call('DetachDevices', this.raw.detachDevices, req, deadlineMs);
  }

  async runWorkload(req: RunWorkloadRequest, deadlineMs?: number): Promise<WorkloadResult> {
    const r = await this.call('RunWorkload', this.raw.runWorkload, req, deadlineMs);
    if (!r.result) throw new AgentCallError('RunWorkload', grpc.status.INTERNAL, 'INTERNAL', 'empty result');
    return r.result;
  }

  async stats(hostId = '', deadlineMs?: number): Promise<Record<string, number>> {
    const r = await this.call('GetStats', this.raw.getStats, { hostId }, deadlineMs);
    return r.counters;
  }

  /** Subscribes to the agent's events; returns a function that cancels the stream. */
  watch(hostId: string, onEvent: (e: WatchEventsResponse) => void, onEnd?: (e?: Error) => void): () => void {
    const stream = this.raw.watchEvents({ hostId });
    stream.on('data', onEvent);
    stream.on('error', (e: grpc.ServiceError) => {
      if (e.code !== grpc.status.CANCELLED) onEnd?.(callError('WatchEvents', e, AgentCallError));
    });
    stream.on('end', () => onEnd?.());
    return () => stream.cancel();
  }
}
