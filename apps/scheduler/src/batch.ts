// SPDX-License-Identifier: Apache-2.0
// Placement in batches: the submits a scheduler gets at once become one BullMQ job (instead of one
// per VM), whose VMs are decided in their order under the view lock and reserved in Redis by one
// script (FleetStore.reserveMany), then attached concurrently. Per VM this saves a job's three
// BullMQ scripts (add, fetch, finish) and a reservation round trip: most of the scheduler's CPU per
// VM besides gRPC. Order is kept (submit order, then decision order), so a client that submits one
// VM at a time gets the same placements as before. Crash safety is the single job's: a batch job
// re-run after a crash resumes each VM from its record (workers.ts resume()), and a VM queued
// twice (a client's retried submit) is reserved once: the script refuses a VM whose record names a
// host already.

import {
  checkVersion,
  type FleetStore,
  JOB_PLACE_BATCH,
  JOBS_VERSION,
  type PlaceBatchPayload,
  type PlaceVmPayload,
  type PlaceVmResult,
  type ReserveItem,
  type VmRecord,
} from '@iofleet/jobs';
import type { VmRequest } from '@iofleet/placement';
import { carrierFromActive, contextFromCarrier, inSpan, tracerOf } from '@iofleet/telemetry';
import { ATTR_REQUEST_ID, ATTR_VM_ID, SERVICE_SCHEDULER, SPAN_PLACEMENT } from '@iofleet/vocabulary';
import type { Job, Queue } from 'bullmq';
import { AlreadySubmittedError } from './errors';
import { attachInline, decideAndReserve, resume, type WorkerDeps } from './workers';

const TRACER = tracerOf(SERVICE_SCHEDULER);

/** Most VMs in one placement batch job. */
export const MAX_BATCH = 256;

const placedFrom = (r: VmRecord): PlaceVmResult => ({
  v: JOBS_VERSION,
  placed: !!r.hostId,
  hostId: r.hostId,
  deviceIds: r.deviceIds,
  reason: r.reason,
});

/** A release in a batch of operations: the VM's devices are freed at its place in the order. */
export interface ReleaseOp {
  release: string;
}
export type BatchOp = PlaceVmPayload | ReleaseOp;
const isRelease = (x: BatchOp): x is ReleaseOp => 'release' in x;

/** What decideMany released: each VM's host and devices (for the agent's detach and the record). */
export interface Released {
  vmId: string;
  hostId: string;
  deviceIds: readonly string[];
}

/**
 * Decides the placements of `ops` in order, with the releases among them at their place, and
 * applies them in Redis by one script, all under the view lock (the caller's). A VM another
 * scheduler's reservation got in the way of is decided again on its own, with the host refreshed
 * from Redis (decideAndReserve), as a single placement is. Answers, per place op, its result (at
 * the op's index), and the releases made.
 */
export async function decideMany(
  deps: WorkerDeps,
  ops: readonly BatchOp[],
): Promise<{ out: (PlaceVmResult | undefined)[]; released: Released[] }> {
  const out: (PlaceVmResult | undefined)[] = new Array(ops.length);
  const reserve: ReserveItem[] = [];
  const at: number[] = [];
  const rejected: Promise<void>[] = [];
  const released: Released[] = [];
  const foreign: string[] = [];
  for (const [i, op] of ops.entries()) {
    if (isRelease(op)) {
      const a = deps.state.assignments.get(op.release);
      if (!a) {
        foreign.push(op.release);
        continue;
      }
      deps.state.release(op.release);
      released.push({ vmId: op.release, hostId: a.hostId, deviceIds: a.deviceIds });
      reserve.push({
        hostId: a.hostId,
        vmId: op.release,
        deviceIds: a.deviceIds,
        state: '',
        requestId: '',
        release: true,
      });
      at.push(i);
      continue;
    }
    const { vm, requestId } = op;
    // Decided already in this process (the same VM in two jobs at once): the record will say.
    if (deps.state.assignments.has(vm.id)) continue;
    const d = deps.policy.decide(vm);
    if (!d.placed) {
      const reason = `no host fits: ${d.reason}`;
      rejected.push(deps.store.putVm({ vmId: vm.id, state: 'failed', reason, requestId }));
      deps.metrics?.placements.inc({ result: 'rejected' });
      out[i] = { v: JOBS_VERSION, placed: false, reason, rejections: d.rejections as Record<string, number> };
      continue;
    }
    const a = d.assignment!;
    deps.state.commit(vm, a);
    const state = a.deviceIds.length === 0 ? 'running' : 'placed';
    reserve.push({ hostId: a.hostId, vmId: vm.id, deviceIds: a.deviceIds, state, requestId });
    at.push(i);
  }
  let answers: Awaited<ReturnType<FleetStore['reserveMany']>>;
  try {
    [answers] = await Promise.all([deps.store.reserveMany(reserve), ...rejected]);
  } catch (e) {
    // Nothing known applied: the view forgets these decisions, and a retry decides again.
    for (const r of reserve) if (!r.release) deps.state.release(r.vmId);
    throw e;
  }
  const again: number[] = [];
  for (const [k, r] of answers.entries()) {
    const i = at[k]!;
    const { hostId, deviceIds, release } = reserve[k]!;
    if (release) continue;
    if (r.ok) {
      deps.metrics?.placements.inc({ result: 'placed' });
      out[i] = { v: JOBS_VERSION, placed: true, hostId, deviceIds: [...deviceIds] };
      continue;
    }
    // Not ours to hold: another scheduler took a device first, or another job placed this VM.
    deps.state.release((ops[i] as PlaceVmPayload).vm.id);
    deps.state.syncDeviceOwners(hostId, await deps.store.owners(hostId));
    again.push(i);
  }
  for (const i of again) {
    const { vm, requestId } = ops[i] as PlaceVmPayload;
    const rec = await deps.store.getVm(vm.id);
    out[i] = rec?.hostId ? placedFrom(rec) : await decideAndReserve(deps, vm, requestId);
    // Released later in this batch: that release found nothing to free then, so it is done now.
    const r = out[i]!;
    const later = ops.slice(i + 1).some((x) => isRelease(x) && x.release === vm.id);
    if (later && r.placed && deps.state.release(vm.id)) {
      await deps.store.release(r.hostId!, vm.id, r.deviceIds!);
      released.push({ vmId: vm.id, hostId: r.hostId!, deviceIds: r.deviceIds! });
    }
  }
  // Released VMs this view did not hold (placed by another scheduler): freed as their record says.
  for (const vmId of foreign) {
    const rec = await deps.store.getVm(vmId);
    if (!rec?.hostId || !rec.deviceIds) continue;
    await deps.store.release(rec.hostId, vmId, rec.deviceIds);
    released.push({ vmId, hostId: rec.hostId, deviceIds: rec.deviceIds });
  }
  // Those decided elsewhere in this process: as their record says (their own job attaches them).
  for (const [i, op] of ops.entries()) {
    if (out[i] || isRelease(op)) continue;
    const rec = await deps.store.getVm(op.vm.id);
    out[i] = rec ? placedFrom(rec) : { v: JOBS_VERSION, placed: false, reason: 'placed by another job' };
  }
  return { out, released };
}

/**
 * A batch of VMs: each resumes from its record if an earlier run of the job got it further, the rest
 * are decided in order and reserved at once; then each is announced and attached, in its own
 * placement span (continuing its request's trace). Results are in the order of the items.
 */
export async function processPlaceBatch(deps: WorkerDeps, job: Job<PlaceBatchPayload>): Promise<PlaceVmResult[]> {
  checkVersion(job.name, job.data);
  const items = job.data.items;
  const decided = (async () => {
    const priors = await deps.store.getVms(items.map((x) => x.vm.id));
    const out: (PlaceVmResult | null)[] = [];
    // Each VM a separate (mostly no-op) resume: a crash can leave every VM at another step.
    for (const [i, x] of items.entries()) out.push(priors[i] ? await resume(deps, x, priors[i]!) : null);
    const fresh = items.filter((_, i) => out[i] === null);
    const made = fresh.length ? (await deps.lock.run(() => decideMany(deps, fresh))).out : [];
    let k = 0;
    // Resumed VMs are attached by the attach job resume() enqueued: only decided ones attach here.
    return out.map((r) => (r ? { r, attach: false } : { r: made[k++]!, attach: true }));
  })();
  return Promise.all(
    items.map((x, i) => {
      const attrs = { [ATTR_VM_ID]: x.vm.id, [ATTR_REQUEST_ID]: x.requestId };
      return inSpan(TRACER, SPAN_PLACEMENT, attrs, contextFromCarrier(x.trace), async () => {
        const { r, attach } = (await decided)[i]!;
        if (!attach) return r;
        await deps.publish(x.vm.id);
        if (r.placed && r.deviceIds!.length > 0) await attachInline(deps, x, r.hostId!, r.deviceIds!);
        return r;
      });
    }),
  );
}

interface Waiting {
  requestId: string;
  vm: VmRequest;
  trace: PlaceVmPayload['trace'];
  resolve(state: string): void;
  reject(e: unknown): void;
}

/**
 * Gathers the submits of one event-loop turn (up to MAX_BATCH): one pipelined read of their
 * records, one write of the new ones, one placement batch job. Each submit resolves with its VM's
 * state then ('pending', or how far an earlier submit of the same request got).
 */
export class SubmitBatcher {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly store: FleetStore,
    private readonly queue: Queue,
  ) {}

  submit(requestId: string, vm: VmRequest): Promise<string> {
    return new Promise((resolve, reject) => {
      // The request's trace continues in the placement (W3C trace context in the payload).
      this.waiting.push({ requestId, vm, trace: carrierFromActive(), resolve, reject });
      if (this.waiting.length >= MAX_BATCH) this.flushSoon(true);
      else this.flushSoon(false);
    });
  }

  private flushSoon(now: boolean): void {
    if (now) {
      const batch = this.waiting;
      this.waiting = [];
      void this.flush(batch);
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.waiting;
      this.waiting = [];
      if (batch.length) void this.flush(batch);
    });
  }

  private async flush(batch: Waiting[]): Promise<void> {
    try {
      const records = await this.store.getVms(batch.map((w) => w.vm.id));
      const items: PlaceVmPayload[] = [];
      const queued: Waiting[] = [];
      const writes: Promise<void>[] = [];
      const seen = new Map<string, string>();
      for (const [i, w] of batch.entries()) {
        const rec = records[i];
        const owner = rec?.requestId ?? seen.get(w.vm.id);
        if (owner !== undefined && owner !== w.requestId) {
          w.reject(new AlreadySubmittedError(w.vm.id, owner));
          continue;
        }
        // Queued already in this batch, or further than pending: nothing more to do for it.
        if (seen.has(w.vm.id) || (rec && rec.state !== 'pending')) {
          w.resolve(rec?.state ?? 'pending');
          continue;
        }
        seen.set(w.vm.id, w.requestId);
        if (!rec) writes.push(this.store.putVm({ vmId: w.vm.id, state: 'pending', requestId: w.requestId }));
        items.push({ v: JOBS_VERSION, requestId: w.requestId, vm: w.vm, trace: w.trace });
        queued.push(w);
      }
      await Promise.all(writes);
      if (items.length) {
        const payload: PlaceBatchPayload = { v: JOBS_VERSION, items };
        await this.queue.add(JOB_PLACE_BATCH, payload, {
          attempts: 3,
          backoff: { type: 'exponential', delay: 200 },
          removeOnComplete: true,
          removeOnFail: 1000,
        });
      }
      for (const w of queued) w.resolve('pending');
    } catch (e) {
      for (const w of batch) w.reject(e);
    }
  }
}
