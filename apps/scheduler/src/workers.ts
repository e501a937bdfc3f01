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
  JOB_PLACE_VM,
  JOBS_VERSION,
  type PlaceVmPayload,
  type PlaceVmResult,
  QUEUE_ATTACH,
  type VmRecord,
} from '@iofleet/jobs';
import type { FleetState, PlacementPolicy, VmRequest } from '@iofleet/placement';
import { AgentCallError } from '@iofleet/proto';
import { carrierFromActive, contextFromCarrier, type IofleetMetrics, inSpan, tracerOf } from '@iofleet/telemetry';
import {
  ATTR_HOST,
  ATTR_REQUEST_ID,
  ATTR_VM_ID,
  SERVICE_SCHEDULER,
  SPAN_ATTACH_JOB,
  SPAN_PLACEMENT,
} from '@iofleet/vocabulary';
import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import type { HostChains } from './host-chain';
import type { HostRegistry, RegisteredHost } from './registry';
import type { ViewLock } from './view-lock';

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
  placeQueue: Queue;
  /** Serialises changes of the placement view with the Redis records they mirror (view-lock.ts). */
  lock: ViewLock;
  /** Agent calls that must reach a host in order: PlaceBatch's attaches and detaches, the reconciler's re-attaches. */
  hostOps: HostChains;
  publish(vmId: string): Promise<void>;
}

/** Times a VM whose host went down during its attach is placed again before it is failed. */
export const MAX_REPLACEMENTS = 3;

/** The attach step of a placed VM, as a payload (the request travels on for a re-placement). */
function attachPayload(data: PlaceVmPayload, hostId: string, deviceIds: string[]): AttachVmPayload {
  const { vm, requestId } = data;
  return {
    v: JOBS_VERSION,
    requestId,
    vmId: vm.id,
    hostId,
    deviceIds,
    guestMemoryMiB: vm.memoryMiB,
    vm,
    ...(data.replacements && { replacements: data.replacements }),
    // The attach continues the placement's trace.
    trace: carrierFromActive(),
  };
}

/** Enqueues the attach step of a placed VM (idempotent: one job id per request). */
async function enqueueAttach(deps: WorkerDeps, data: PlaceVmPayload, hostId: string, deviceIds: string[]) {
  const payload = attachPayload(data, hostId, deviceIds);
  await deps.attachQueue.add(JOB_ATTACH_VM, payload, {
    jobId: `attach-${payload.requestId}`,
    attempts: 6,
    backoff: { type: 'exponential', delay: 200 },
  });
}

/**
 * The attach, tried at once inside the placement job (one queue hop less per VM); only when it
 * fails does it become an attach job, with its retries and backoff (or fail for good at once).
 */
export async function attachInline(deps: WorkerDeps, data: PlaceVmPayload, hostId: string, deviceIds: string[]) {
  const p = attachPayload(data, hostId, deviceIds);
  const attrs = { [ATTR_VM_ID]: p.vmId, [ATTR_HOST]: p.hostId };
  const t0 = performance.now();
  try {
    await inSpan(TRACER, SPAN_ATTACH_JOB, attrs, contextFromCarrier(p.trace), () => attachVm(deps, p));
  } catch (e) {
    if (e instanceof UnrecoverableError) await failAttach(deps, p, e.message);
    else await enqueueAttach(deps, data, hostId, deviceIds);
  } finally {
    deps.metrics?.attachSeconds.observe({ role: 'scheduler' }, (performance.now() - t0) / 1000);
  }
}

/**
 * A re-run of a placement job (its worker crashed) finds what the last run left: the VM record
 * names the host and devices it was reserving; if Redis shows the reservation complete, placement
 * resumes from there (mark placed, enqueue the attach), otherwise any partial reservation is
 * released and the decision starts over.
 */
export async function resume(deps: WorkerDeps, data: PlaceVmPayload, prior: VmRecord): Promise<PlaceVmResult | null> {
  const { vm, requestId } = data;
  const done = (placed: boolean): PlaceVmResult => ({
    v: JOBS_VERSION,
    placed,
    hostId: prior.hostId,
    deviceIds: prior.deviceIds,
    reason: prior.reason,
  });
  if (prior.state === 'placed' || prior.state === 'attaching') {
    await enqueueAttach(deps, data, prior.hostId!, prior.deviceIds!);
    return done(true);
  }
  if (prior.state !== 'pending') return done(!!prior.hostId);
  if (!prior.hostId || !prior.deviceIds) return null;
  const owners = await deps.store.owners(prior.hostId);
  if (prior.deviceIds.every((d) => owners[d] === vm.id)) {
    await deps.store.putVm({ ...prior, state: 'placed', requestId });
    await deps.publish(vm.id);
    await enqueueAttach(deps, data, prior.hostId, prior.deviceIds);
    return done(true);
  }
  await deps.store.release(prior.hostId, vm.id, prior.deviceIds);
  // The record no longer names a host: a batch reservation (reserveMany) takes the VM again.
  await deps.store.clearPlacement(vm.id);
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
    const resumed = await resume(deps, job.data, prior);
    if (resumed) return resumed;
  }
  // Decide, take in the view and reserve in Redis as one step under the view lock (view-lock.ts).
  const r = await deps.lock.run(() => decideAndReserve(deps, vm, requestId));
  await deps.publish(vm.id);
  if (r.placed && r.deviceIds!.length > 0) await attachInline(deps, job.data, r.hostId!, r.deviceIds!);
  return r;
}

export async function decideAndReserve(deps: WorkerDeps, vm: VmRequest, requestId: string): Promise<PlaceVmResult> {
  for (let attempt = 0; attempt < MAX_RESERVATION_CONFLICTS; attempt++) {
    const d = deps.policy.decide(vm);
    if (!d.placed) {
      const reason = `no host fits: ${d.reason}`;
      await deps.store.putVm({ vmId: vm.id, state: 'failed', reason, requestId });
      deps.metrics?.placements.inc({ result: 'rejected' });
      return { v: JOBS_VERSION, placed: false, reason, rejections: d.rejections as Record<string, number> };
    }
    const a = d.assignment!;
    if (!deps.state.assignments.has(vm.id)) deps.state.commit(vm, a);
    // Nothing to attach: the VM runs on its host with CPUs and memory only.
    const state = a.deviceIds.length === 0 ? 'running' : 'placed';
    // Reservation and record in one atomic step (one round trip while the view lock is held).
    const r = await deps.store.reserveAndRecord(a.hostId, vm.id, a.deviceIds, state, requestId);
    if (!r.ok) {
      // Another scheduler took a device first: refresh this host from Redis and decide again.
      deps.state.release(vm.id);
      deps.state.syncDeviceOwners(a.hostId, await deps.store.owners(a.hostId));
      continue;
    }
    deps.metrics?.placements.inc({ result: 'placed' });
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
    return await inSpan(TRACER, SPAN_ATTACH_JOB, attrs, contextFromCarrier(job.data.trace), () =>
      attachVm(deps, job.data),
    );
  } finally {
    deps.metrics?.attachSeconds.observe({ role: 'scheduler' }, (performance.now() - t0) / 1000);
  }
}

async function attachVm(deps: WorkerDeps, p: AttachVmPayload): Promise<AttachVmResult> {
  const client = deps.registry.clientForHost(p.hostId);
  if (!client) throw new Error(`host ${p.hostId} is not registered (yet)`);
  // A host whose agent is gone gets no more attempts: failAttach places the VM again elsewhere.
  if (!deps.registry.isAlive(p.hostId)) throw new UnrecoverableError(hostDownReason(p.hostId));
  // Released (or cancelled) since it was placed, e.g. while this attach waited for a retry: its
  // devices may be another VM's by now, so there is nothing to attach (and nothing to record).
  const owners = await deps.store.owners(p.hostId);
  if (!p.deviceIds.every((d) => owners[d] === p.vmId)) return { v: JOBS_VERSION, attachedDeviceIds: [] };
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
  // The agent may have died between answering and now. hostsLiveness() fails the VMs it finds
  // running on a host that went down and leaves the ones still attaching to failAttach(), so a VM
  // whose attach answered just before the host went down must not be recorded running there: it
  // would stay running on a dead host, neither placed again nor reported. Checked before the
  // record is written and again after it (the host may go down while it is written; if
  // hostsLiveness() saw it running and failed it meanwhile, failAttach() places it again).
  if (!deps.registry.isAlive(p.hostId)) throw new UnrecoverableError(hostDownReason(p.hostId));
  await deps.store.putVm({
    vmId: p.vmId,
    state: 'running',
    hostId: p.hostId,
    deviceIds: p.deviceIds,
    requestId: p.requestId,
  });
  if (!deps.registry.isAlive(p.hostId)) throw new UnrecoverableError(hostDownReason(p.hostId));
  await deps.publish(p.vmId);
  return { v: JOBS_VERSION, attachedDeviceIds: res.attachedDeviceIds };
}

/** Called when a placement job failed for good (all attempts): the request ends failed, with why. */
export async function failPlacement(deps: WorkerDeps, data: PlaceVmPayload, reason: string): Promise<void> {
  const prior = await deps.store.getVm(data.vm.id);
  if (prior && prior.state !== 'pending') return; // it got further than placement: not ours to fail
  await deps.lock.run(async () => {
    if (prior?.hostId && prior.deviceIds) await deps.store.release(prior.hostId, data.vm.id, prior.deviceIds);
    deps.state.release(data.vm.id);
  });
  await deps.store.putVm({
    vmId: data.vm.id,
    state: 'failed',
    reason: `placement failed: ${reason}`,
    requestId: data.requestId,
  });
  await deps.publish(data.vm.id);
}

const hostDownReason = (hostId: string) => `host ${hostId} is down (its agent stopped answering)`;

/**
 * Called when an attach job failed for good: free what the VM held; if its host went down, place
 * it again (up to MAX_REPLACEMENTS times, the host excluded), otherwise record why it failed.
 */
export async function failAttach(deps: WorkerDeps, data: AttachVmPayload, reason: string): Promise<void> {
  await deps.lock.run(async () => {
    await deps.store.release(data.hostId, data.vmId, data.deviceIds);
    deps.state.release(data.vmId);
    deps.state.syncDeviceOwners(data.hostId, await deps.store.owners(data.hostId));
  });
  const again = (data.replacements ?? 0) + 1;
  if (data.vm && !deps.registry.isAlive(data.hostId) && again <= MAX_REPLACEMENTS) {
    await deps.store.putVm({
      vmId: data.vmId,
      state: 'pending',
      requestId: data.requestId,
      reason: hostDownReason(data.hostId),
    });
    await deps.store.clearPlacement(data.vmId);
    const payload: PlaceVmPayload = { v: JOBS_VERSION, requestId: data.requestId, vm: data.vm, trace: data.trace };
    await deps.placeQueue.add(
      JOB_PLACE_VM,
      { ...payload, replacements: again },
      {
        jobId: `place-${data.requestId}-again-${again}`,
        attempts: 3,
        backoff: { type: 'exponential', delay: 200 },
      },
    );
    return;
  }
  await deps.store.putVm({
    vmId: data.vmId,
    state: 'failed',
    hostId: data.hostId,
    reason: `attach failed: ${reason}`,
    requestId: data.requestId,
  });
  await deps.publish(data.vmId);
}

/**
 * Hosts whose agent went away are taken out of the placement view, and the VMs running there are
 * reported failed (their records say why) and their devices freed; hosts that come back take VMs
 * again (the reconciler detaches what their agent still holds for VMs that no longer own it).
 */
export async function hostsLiveness(
  deps: WorkerDeps,
  hosts: readonly RegisteredHost[],
  alive: boolean,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<void> {
  const ids = hosts.map((h) => h.hostId).sort();
  log(`${alive ? 'hosts back up' : 'warning: hosts down'}: ${ids.join(', ')}`);
  const lost: string[] = [];
  await deps.lock.run(async () => {
    for (const id of ids) deps.state.setDown(id, !alive);
    if (alive) return;
    const owners = await deps.store.ownersMany(ids);
    for (const id of ids) {
      const byVm = new Map<string, string[]>();
      for (const [dev, vm] of Object.entries(owners.get(id) ?? {})) byVm.set(vm, [...(byVm.get(vm) ?? []), dev]);
      for (const [vmId, devs] of byVm) {
        const rec = await deps.store.getVm(vmId);
        // A VM still being attached there is placed again by failAttach; a running one is lost.
        if (rec?.state !== 'running') continue;
        await deps.store.release(id, vmId, devs);
        deps.state.release(vmId);
        await deps.store.putVm({ ...rec, state: 'failed', reason: hostDownReason(id) });
        lost.push(vmId);
      }
    }
  });
  for (const vmId of lost) await deps.publish(vmId);
}

export { QUEUE_ATTACH };
