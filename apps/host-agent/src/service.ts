// SPDX-License-Identifier: Apache-2.0
// The HostAgent gRPC service over a shard of hosts. Requests are validated here; attach and
// detach are idempotent by request id; errors leave through toServiceError only.
//
// Exclusive ownership: a backend's attach() checks and records ownership synchronously, and the
// event loop runs one handler at a time, so concurrent attach storms on one device cannot
// interleave between check and record: exactly one VM owns it.

import type { ServerUnaryCall, ServerWritableStream, sendUnaryData } from '@grpc/grpc-js';
import {
  type AttachDevicesRequest,
  type AttachDevicesResponse,
  type DetachDevicesRequest,
  type DetachDevicesResponse,
  type HostAgentServer,
  IommuMode,
  type WatchEventsRequest,
  type WatchEventsResponse,
  WorkloadPath,
} from '@iofleet/proto';
import { contextFromMetadata, inSpan, tracerOf } from '@iofleet/telemetry';
import { ATTR_HOST, ATTR_VM_ID, SERVICE_HOST_AGENT, SPAN_ATTACH } from '@iofleet/vocabulary';
import type { HostBackend } from './backend';
import { AgentError, toServiceError } from './errors';

const TRACER = tracerOf(SERVICE_HOST_AGENT);

/** Bound on remembered request ids (STYLE.md item 16): about a day of attach traffic at 1/s. */
export const MAX_REMEMBERED_REQUESTS = 100_000;

export class AgentService {
  readonly hosts = new Map<string, HostBackend>();
  private readonly done = new Map<string, { key: string; response: unknown }>();
  private inFlight = 0;
  private draining = false;
  private readonly streams = new Set<ServerWritableStream<WatchEventsRequest, WatchEventsResponse>>();
  private drainWaiters: (() => void)[] = [];

  constructor(backends: readonly HostBackend[]) {
    for (const b of backends) this.hosts.set(b.hostId, b);
  }

  private host(hostId: string): HostBackend {
    if (!hostId && this.hosts.size === 1) return [...this.hosts.values()][0]!;
    if (!hostId) throw new AgentError('INVALID_ARGUMENT', 'host_id is required: this agent serves several hosts');
    const h = this.hosts.get(hostId);
    if (!h) throw new AgentError('NOT_FOUND', `host ${hostId} is not served by this agent`);
    return h;
  }

  /** Runs a unary handler with the agent's error boundary, deadline check and drain accounting. */
  private unary<Req, Res>(fn: (req: Req, signal: AbortSignal) => Res | Promise<Res>) {
    return (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>) => {
      if (this.draining) return cb({ code: 14, details: 'agent is draining (SIGTERM)' });
      const deadline = call.getDeadline();
      if (deadline instanceof Date && deadline.getTime() <= Date.now()) {
        return cb({ code: 4, details: 'deadline already passed' });
      }
      const ac = new AbortController();
      call.on('cancelled', () => ac.abort());
      this.inFlight++;
      Promise.resolve()
        .then(() => fn(call.request, ac.signal))
        .then(
          (res) => cb(null, res),
          (e: unknown) => cb(toServiceError(e)),
        )
        .finally(() => {
          this.inFlight--;
          if (this.inFlight === 0) for (const w of this.drainWaiters.splice(0)) w();
        });
    };
  }

  /** Idempotency: the same request id with the same parameters returns the first answer. */
  private once<Res>(requestId: string, key: string, run: () => Res): Res {
    if (!requestId) throw new AgentError('INVALID_ARGUMENT', 'request_id is required');
    const prev = this.done.get(requestId);
    if (prev) {
      if (prev.key !== key)
        throw new AgentError('ALREADY_EXISTS', `request ${requestId} was already used for a different request`);
      return prev.response as Res;
    }
    const response = run();
    if (this.done.size >= MAX_REMEMBERED_REQUESTS) this.done.delete(this.done.keys().next().value!);
    this.done.set(requestId, { key, response });
    return response;
  }

  private attach(req: AttachDevicesRequest): AttachDevicesResponse {
    const h = this.host(req.hostId);
    if (!req.vmId) throw new AgentError('INVALID_ARGUMENT', 'vm_id is required');
    if (req.deviceIds.length === 0) throw new AgentError('INVALID_ARGUMENT', 'device_ids is empty');
    if (new Set(req.deviceIds).size !== req.deviceIds.length)
      throw new AgentError('INVALID_ARGUMENT', 'device_ids has duplicates');
    const key = JSON.stringify(['attach', h.hostId, req.vmId, [...req.deviceIds].sort(), String(req.guestMemoryMib)]);
    return this.once(req.requestId, key, () => {
      const r = h.attach(req.vmId, req.deviceIds, Number(req.guestMemoryMib));
      return { attachedDeviceIds: r.attachedDeviceIds, iommuGroups: r.iommuGroups };
    });
  }

  private detach(req: DetachDevicesRequest): DetachDevicesResponse {
    const h = this.host(req.hostId);
    if (!req.vmId) throw new AgentError('INVALID_ARGUMENT', 'vm_id is required');
    const key = JSON.stringify(['detach', h.hostId, req.vmId]);
    return this.once(req.requestId, key, () => ({ detachedDeviceIds: h.detach(req.vmId) }));
  }

  implementation(): HostAgentServer {
    return {
      health: this.unary(() => ({ serving: !this.draining, hostIds: [...this.hosts.keys()] })),
      getInventory: this.unary((req) => ({
        hosts: req.hostId ? [this.host(req.hostId).inventory()] : [...this.hosts.values()].map((h) => h.inventory()),
      })),
      attachDevices: (call, cb) =>
        // The caller's trace (W3C context in the metadata) continues in the agent's attach span.
        this.unary((req: AttachDevicesRequest) =>
          inSpan(
            TRACER,
            SPAN_ATTACH,
            { [ATTR_VM_ID]: req.vmId, [ATTR_HOST]: req.hostId },
            contextFromMetadata(call.metadata),
            () => this.attach(req),
          ),
        )(call, cb),
      detachDevices: this.unary((req) => this.detach(req)),
      runWorkload: this.unary(async (req, signal) => {
        const h = this.host(req.hostId);
        if (!req.plugin) throw new AgentError('INVALID_ARGUMENT', 'plugin is required');
        if (req.mode === IommuMode.IOMMU_MODE_UNSPECIFIED && req.path === WorkloadPath.WORKLOAD_PATH_UNSPECIFIED)
          throw new AgentError('INVALID_ARGUMENT', 'mode (or path) is required');
        if (req.durationNs <= 0n) throw new AgentError('INVALID_ARGUMENT', 'duration_ns must be positive');
        return { result: await h.runWorkload(req, signal) };
      }),
      getStats: this.unary((req) => ({ counters: this.host(req.hostId).stats() })),
      watchEvents: (call) => this.watch(call),
    };
  }

  private watch(call: ServerWritableStream<WatchEventsRequest, WatchEventsResponse>): void {
    let hosts: HostBackend[];
    try {
      hosts = call.request.hostId ? [this.host(call.request.hostId)] : [...this.hosts.values()];
    } catch (e) {
      call.destroy(Object.assign(new Error('watch'), toServiceError(e)));
      return;
    }
    const unsubs: (() => void)[] = [];
    try {
      for (const h of hosts) unsubs.push(h.onEvent((e) => call.write(e)));
    } catch (e) {
      for (const u of unsubs) u();
      call.destroy(Object.assign(new Error('watch'), toServiceError(e)));
      return;
    }
    this.streams.add(call);
    const stop = () => {
      for (const u of unsubs) u();
      this.streams.delete(call);
    };
    call.on('cancelled', stop);
    call.on('close', stop);
  }

  /** Stops accepting calls, ends event streams, and resolves when in-flight calls finished. */
  drain(): Promise<void> {
    this.draining = true;
    for (const s of this.streams) s.end();
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }
}
