// SPDX-License-Identifier: Apache-2.0
// The BullMQ work of a VM request: place (decide + atomic reservation in Redis), then attach on
// the host agent over gRPC and mark the VM running. Retries with exponential backoff; every
// request ends in a terminal state with a reason. A worker killed mid-job leaves the job stalled;
// BullMQ hands it to another worker, and both steps are idempotent (reservation by VM id,
// attach by request id), so it completes exactly once.

import * as grpc from '@grpc/grpc-js';
import {
  type AttachVmPayload,
  type AttachVmResult,
  checkVersion,
  type FleetStore,
  JOB_ATTACH_VM,
  JOBS_VERSION,
  type PlaceVmPayload,
  type PlaceVmResult,
  QUEUE_ATTACH,
  type VmRecord,
} from '@iofleet/jobs';
import type { FleetState, PlacementPolicy } from '@iofleet/placement';
import { AgentCallError } from '@iofleet/proto';
import {
  ATTR_HOST,
  ATTR_REQUEST_ID,
  ATTR_VM_ID,
  carrierFromActive,
  contextFromCarrier,
  type IofleetMetrics,
  inSpan,
  SERVICE_SCHEDULER,
  SPAN_ATTACH_JOB,
  SPAN_PLACEMENT,
  tracerOf,
} from '@iofleet/telemetry';
import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import type { HostRegistry } from './registry';

const TRACER = tracerOf(SERVICE_SCHEDULER);

/** Placement attempts when another scheduler reserved a chosen device first. */
export const MAX_RESERVATION_CONFLICTS = 32;

export interface WorkerDeps {
  metrics?: IofleetMetrics;
  state: FleetState;
  policy: PlacementPolicy;
  store: FleetStore;
  registry: HostRegistry;
  attachQueue: Queue;
  publish(vmId: string): Promise<void>;
}

/** Enqueues the attach step of a placed VM (idempotent: one job id per request). */
async function enqueueAttach(deps: WorkerDeps, job: Job<PlaceVmPayload>, hostId: string, deviceIds: string[]) {
  const { vm, requestId } = job.data;
  const payload: AttachVmPayload = {
    v: JOBS_VERSION,
    requestId,
    vmId: vm.id,
    hostId,
    deviceIds,
    guestMemoryMiB: vm.memoryMiB,
    // The attach job continues the placement's trace.
    trace: carrierFromActive(),
  };
  await deps.attachQueue.add(JOB_ATTACH_VM, payload, {
    jobId: `attach-${requestId}`,
    attempts: 6,
    backoff: { type: 'exponential', delay: 200 },
  });
}

/**
 * A re-run of a placement job (its worker crashed) finds what the last run left: the VM record
 * names the host and devices it was reserving; if Redis shows the reservation complete, placement
 * resumes from there (mark placed, enqueue the attach), otherwise any partial reservation is
 * released and the decision starts over.
 */
async function resume(deps: WorkerDeps, job: Job<PlaceVmPayload>, prior: VmRecord): Promise<PlaceVmResult | null> {
  const { vm, requestId } = job.data;
  const done = (placed: boolean): PlaceVmResult => ({
    v: JOBS_VERSION,
    placed,
    hostId: prior.hostId,
    deviceIds: prior.deviceIds,
    reason: prior.reason,
  });
  if (prior.state === 'placed' || prior.state === 'attaching') {
    await enqueueAttach(deps, job, prior.hostId!, prior.deviceIds!);
    return done(true);
  }
  if (prior.state !== 'pending') return done(!!prior.hostId);
  if (!prior.hostId || !prior.deviceIds) return null;
  const owners = await deps.store.owners(prior.hostId);
  if (prior.deviceIds.every((d) => owners[d] === vm.id)) {
    await deps.store.putVm({ ...prior, state: 'placed', requestId });
    await deps.publish(vm.id);
    await enqueueAttach(deps, job, prior.hostId, prior.deviceIds);
    return done(true);
  }
  await deps.store.release(prior.hostId, vm.id, prior.deviceIds);
  return null;
}

export async function processPlaceVm(deps: WorkerDeps, job: Job<PlaceVmPayload>): Promise<PlaceVmResult> {
  checkVersion(job.name, job.data);
  const attrs = { [ATTR_VM_ID]: job.data.vm.id, [ATTR_REQUEST_ID]: job.data.requestId };
  return inSpan(TRACER, SPAN_PLACEMENT, attrs, contextFromCarrier(job.data.trace), () => placeVm(deps, job));
}

async function placeVm(deps: WorkerDeps, job: Job<PlaceVmPayload>): Promise<PlaceVmResult> {
  const { vm, requestId } = job.data;
  const prior = await deps.store.getVm(vm.id);
  if (prior) {
    const resumed = await resume(deps, job, prior);
    if (resumed) return resumed;
  }
  for (let attempt = 0; attempt < MAX_RESERVATION_CONFLICTS; attempt++) {
    const d = deps.policy.decide(vm);
    if (!d.placed) {
      const reason = `no host fits: ${d.reason}`;
      await deps.store.putVm({ vmId: vm.id, state: 'failed', reason, requestId });
      await deps.publish(vm.id);
      deps.metrics?.placements.inc({ result: 'rejected' });
      return { v: JOBS_VERSION, placed: false, reason, rejections: d.rejections as Record<string, number> };
    }
    const a = d.assignment!;
    // Taken in the local view at once, so placement jobs running concurrently in this process do
    // not pick the same devices; Redis has the final word and the view is rolled back on conflict.
    if (!deps.state.assignments.has(vm.id)) deps.state.commit(vm, a);
    // Written before the reservation, so a crash between the two can be resumed (see resume()).
    await deps.store.putVm({ vmId: vm.id, state: 'pending', hostId: a.hostId, deviceIds: a.deviceIds, requestId });
    const r = await deps.store.reserve(a.hostId, vm.id, a.deviceIds);
    if (!r.ok) {
      deps.state.release(vm.id);
      deps.state.syncDeviceOwners(a.hostId, await deps.store.owners(a.hostId));
      continue;
    }
    deps.metrics?.placements.inc({ result: 'placed' });
    if (a.deviceIds.length === 0) {
      // Nothing to attach: the VM runs on its host with CPUs and memory only.
      await deps.store.putVm({ vmId: vm.id, state: 'running', hostId: a.hostId, deviceIds: [], requestId });
      await deps.publish(vm.id);
      return { v: JOBS_VERSION, placed: true, hostId: a.hostId, deviceIds: [] };
    }
    await deps.store.putVm({ vmId: vm.id, state: 'placed', hostId: a.hostId, deviceIds: a.deviceIds, requestId });
    await deps.publish(vm.id);
    await enqueueAttach(deps, job, a.hostId, a.deviceIds);
    return { v: JOBS_VERSION, placed: true, hostId: a.hostId, deviceIds: a.deviceIds };
  }
  await deps.store.putVm({ vmId: vm.id, state: 'pending', requestId });
  throw new Error(`gave up after ${MAX_RESERVATION_CONFLICTS} reservation conflicts`);
}

const PERMANENT = new Set<number>([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.FAILED_PRECONDITION,
]);

export async function processAttachVm(deps: WorkerDeps, job: Job<AttachVmPayload>): Promise<AttachVmResult> {
  checkVersion(job.name, job.data);
  const attrs = { [ATTR_VM_ID]: job.data.vmId, [ATTR_HOST]: job.data.hostId };
  const t0 = performance.now();
  try {
    return await inSpan(TRACER, SPAN_ATTACH_JOB, attrs, contextFromCarrier(job.data.trace), () => attachVm(deps, job));
  } finally {
    deps.metrics?.attachSeconds.observe({ role: 'scheduler' }, (performance.now() - t0) / 1000);
  }
}

async function attachVm(deps: WorkerDeps, job: Job<AttachVmPayload>): Promise<AttachVmResult> {
  const p = job.data;
  const client = deps.registry.clientForHost(p.hostId);
  if (!client) throw new Error(`host ${p.hostId} is not registered (yet)`);
  await deps.store.putVm({
    vmId: p.vmId,
    state: 'attaching',
    hostId: p.hostId,
    deviceIds: p.deviceIds,
    requestId: p.requestId,
  });
  const res = await client
    .attach(
      {
        requestId: `attach-${p.requestId}`,
        hostId: p.hostId,
        vmId: p.vmId,
        deviceIds: p.deviceIds,
        guestMemoryMib: BigInt(p.guestMemoryMiB),
      },
      5000,
    )
    .catch((e: unknown) => {
      throw e instanceof AgentCallError && PERMANENT.has(e.code) ? new UnrecoverableError(e.details) : e;
    });
  await deps.store.putVm({
    vmId: p.vmId,
    state: 'running',
    hostId: p.hostId,
    deviceIds: p.deviceIds,
    requestId: p.requestId,
  });
  await deps.publish(p.vmId);
  return { v: JOBS_VERSION, attachedDeviceIds: res.attachedDeviceIds };
}

/** Called when a placement job failed for good (all attempts): the request ends failed, with why. */
export async function failPlacement(deps: WorkerDeps, data: PlaceVmPayload, reason: string): Promise<void> {
  const prior = await deps.store.getVm(data.vm.id);
  if (prior && prior.state !== 'pending') return; // it got further than placement: not ours to fail
  if (prior?.hostId && prior.deviceIds) await deps.store.release(prior.hostId, data.vm.id, prior.deviceIds);
  deps.state.release(data.vm.id);
  await deps.store.putVm({
    vmId: data.vm.id,
    state: 'failed',
    reason: `placement failed: ${reason}`,
    requestId: data.requestId,
  });
  await deps.publish(data.vm.id);
}

/** Called when an attach job failed for good: free what the VM held, record why. */
export async function failAttach(deps: WorkerDeps, data: AttachVmPayload, reason: string): Promise<void> {
  await deps.store.release(data.hostId, data.vmId, data.deviceIds);
  deps.state.release(data.vmId);
  deps.state.syncDeviceOwners(data.hostId, await deps.store.owners(data.hostId));
  await deps.store.putVm({
    vmId: data.vmId,
    state: 'failed',
    hostId: data.hostId,
    reason: `attach failed: ${reason}`,
    requestId: data.requestId,
  });
  await deps.publish(data.vmId);
}

export { QUEUE_ATTACH };
