// SPDX-License-Identifier: Apache-2.0
// The Scheduler gRPC service: validates requests and translates records to VmStatus. Errors
// leave through one mapping, by type (errors.ts: RequestError -> INVALID_ARGUMENT, VmNotFoundError
// -> NOT_FOUND, AlreadySubmittedError -> ALREADY_EXISTS, anything else INTERNAL).

import type * as grpc from '@grpc/grpc-js';
import {
  type FleetStore,
  JOBS_VERSION,
  OUTAGE_RETRY,
  type PlaceVmPayload,
  type PlaceVmResult,
  type VmRecord,
} from '@iofleet/jobs';
import type { VmRequest } from '@iofleet/placement';
import { type SchedulerServer, toServiceError, VmState, type VmStatus } from '@iofleet/proto';
import { carrierFromActive, inSpan, tracerOf } from '@iofleet/telemetry';
import { ATTR_REQUEST_ID, ATTR_VM_ID, SERVICE_SCHEDULER, SPAN_VM_REQUEST } from '@iofleet/vocabulary';
import { context as otelContext } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import type { BatchOp } from './batch';
import { MODE_FROM_PLACEMENT, placementHostFromInventory, vmRequestFromSpec } from './convert';
import { RequestError, VmNotFoundError } from './errors';
import type { HostRegistry } from './registry';
import type { ViewLock } from './view-lock';

const STATE: Record<string, VmState> = {
  pending: VmState.VM_STATE_PENDING,
  placed: VmState.VM_STATE_PLACED,
  attaching: VmState.VM_STATE_ATTACHING,
  running: VmState.VM_STATE_RUNNING,
  failed: VmState.VM_STATE_FAILED,
  cancelled: VmState.VM_STATE_CANCELLED,
};

export function vmStatus(r: VmRecord): VmStatus {
  return {
    vmId: r.vmId,
    state: STATE[r.state] ?? VmState.VM_STATE_UNSPECIFIED,
    hostId: r.hostId ?? '',
    deviceIds: r.deviceIds ?? [],
    reason: r.reason ?? '',
    rejections: {},
  };
}

const TRACER = tracerOf(SERVICE_SCHEDULER);

export interface ServiceDeps {
  store: FleetStore;
  registry: HostRegistry;
  /** Queues the request; resolves with the VM's state then. */
  submit(requestId: string, vm: VmRequest): Promise<string>;
  redisUrl: string;
  /** Frees the VM in this process's placement view at once (the next heartbeat would, later). */
  releaseLocal?(vmId: string): void;
  /** The namespace's VM events channel (vmEventsChannel()). */
  eventsChannel: string;
  /** The view lock: a release in Redis and in the view is one step (view-lock.ts). */
  lock: ViewLock;
  /** PlaceBatch: placements and releases in order, one step; each placement's decision, in order (place-ops.ts). */
  placeOps(ops: readonly BatchOp[]): Promise<PlaceVmResult[]>;
}

/** A place op's decision as a VmStatus: PLACED (RUNNING without devices) with host and devices, or FAILED. */
function decisionStatus(vmId: string, r: PlaceVmResult): VmStatus {
  const devices = r.deviceIds ?? [];
  return {
    vmId,
    state: !r.placed ? VmState.VM_STATE_FAILED : devices.length ? VmState.VM_STATE_PLACED : VmState.VM_STATE_RUNNING,
    hostId: r.hostId ?? '',
    deviceIds: devices,
    reason: r.reason ?? '',
    rejections: r.rejections ?? {},
  };
}

export function schedulerImplementation(deps: ServiceDeps): SchedulerServer {
  const unary =
    <Req, Res>(fn: (req: Req) => Promise<Res>) =>
    (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => {
      fn(call.request).then(
        (r) => cb(null, r),
        (e: unknown) => cb(toServiceError(e)),
      );
    };
  const get = async (vmId: string) => {
    if (!vmId) throw new RequestError('vm_id is required');
    const r = await deps.store.getVm(vmId);
    if (!r) throw new VmNotFoundError(vmId);
    return r;
  };
  return {
    submitVm: unary(async (req) => {
      if (!req.requestId) throw new RequestError('request_id is required');
      const vm = vmRequestFromSpec(req.vmId, req.spec);
      // One trace per VM request: this span, the placement and attach jobs, the agent's attach.
      const attrs = { [ATTR_VM_ID]: vm.id, [ATTR_REQUEST_ID]: req.requestId };
      return inSpan(TRACER, SPAN_VM_REQUEST, attrs, otelContext.active(), async () => {
        const state = await deps.submit(req.requestId, vm);
        return { vmId: vm.id, state: STATE[state] ?? VmState.VM_STATE_PENDING };
      });
    }),
    getVm: unary(async (req) => ({ status: vmStatus(await get(req.vmId)) })),
    placeBatch: unary(async (req) => {
      const ops: BatchOp[] = req.ops.map((o, i) => {
        if (o.op?.$case === 'releaseVmId') {
          if (!o.op.value) throw new RequestError(`ops[${i}]: release_vm_id is empty`);
          return { release: o.op.value };
        }
        if (o.op?.$case !== 'place') throw new RequestError(`ops[${i}]: neither place nor release_vm_id`);
        const p = o.op.value;
        if (!p.requestId) throw new RequestError(`ops[${i}]: request_id is required`);
        // Each VM's trace continues from this call's (W3C trace context in the payload).
        return {
          v: JOBS_VERSION,
          requestId: p.requestId,
          vm: vmRequestFromSpec(p.vmId, p.spec),
          trace: carrierFromActive(),
        };
      });
      const results = await deps.placeOps(ops);
      const places = ops.filter((o): o is PlaceVmPayload => !('release' in o));
      return { placements: results.map((r, i) => decisionStatus(places[i]!.vm.id, r)) };
    }),
    cancelVm: unary(async (req) => {
      const r = await get(req.vmId);
      if (r.hostId && r.deviceIds) {
        const { hostId, deviceIds } = r;
        await deps.lock.run(async () => {
          await deps.store.release(hostId, r.vmId, deviceIds);
          deps.releaseLocal?.(r.vmId);
        });
        // Detach on the agent now; if it is unreachable (or down) the reconciler detaches later.
        if (deps.registry.isAlive(hostId))
          await deps.registry
            .clientForHost(hostId)
            ?.detach({ requestId: `cancel-${r.vmId}`, hostId, vmId: r.vmId }, 5000)
            .catch(() => undefined);
      }
      await deps.store.putVm({ vmId: r.vmId, state: 'cancelled', reason: 'cancelled by request' });
      return { status: vmStatus((await deps.store.getVm(r.vmId))!) };
    }),
    listHosts: unary(async () => ({
      hosts: [...deps.registry.hosts.values()].map((h) => ({
        hostId: h.hostId,
        agentAddress: h.agent,
        iommuMode: MODE_FROM_PLACEMENT[placementHostFromInventory(h.inventory).iommuMode],
        freeDevices: h.inventory.devices.filter((d) => !d.ownerVmId && d.healthy).length,
        alive: h.alive,
      })),
    })),
    watchPlacements: (call) => {
      const sub = new Redis(deps.redisUrl, { maxRetriesPerRequest: null, retryStrategy: OUTAGE_RETRY });
      // An outage is logged once by the scheduler's own connections; this one only reconnects.
      sub.on('error', () => undefined);
      void sub.subscribe(deps.eventsChannel).catch(() => undefined);
      sub.on('message', (_ch, vmId: string) => {
        void deps.store.getVm(vmId).then((r) => r && call.write({ status: vmStatus(r) }));
      });
      const stop = () => void sub.quit().catch(() => undefined);
      call.on('cancelled', stop);
      call.on('close', stop);
    },
  };
}
