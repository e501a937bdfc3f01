// SPDX-License-Identifier: Apache-2.0
// The PlaceBatch call: placements and releases in the order given, decided as one step under the
// view lock and applied in Redis by one script (batch.ts decideMany), answered at once; the
// attaches, and the detaches and records of released VMs, follow in the background. This is how
// `simulate --distributed` runs a stretch of its timeline per call: the scheduler sees the same
// operations in the same order as the embedded run, so the placements are the same, without a
// round trip (and a wait for the attach) per VM.

import { JOBS_VERSION, type PlaceVmPayload, type PlaceVmResult } from '@iofleet/jobs';
import { type BatchOp, decideMany, type Released } from './batch';
import { AlreadySubmittedError } from './errors';
import { attachInline, type WorkerDeps } from './workers';

/** Tries at detaching a released VM before leaving it to the reconciler. */
const DETACH_ATTEMPTS = 3;

/** Detaches a released VM on its agent and records it cancelled. */
async function finishRelease(deps: WorkerDeps, r: Released): Promise<void> {
  // An unreachable or down agent is left to the reconciler, which detaches what no VM owns.
  // The next attach on this host may want these devices: a slow agent gets a few tries.
  for (let attempt = 0; attempt < DETACH_ATTEMPTS; attempt++) {
    if (r.deviceIds.length === 0 || !deps.registry.isAlive(r.hostId)) break;
    const c = deps.registry.clientForHost(r.hostId);
    const ok = await c?.detach({ requestId: `release-${r.vmId}`, hostId: r.hostId, vmId: r.vmId }, 10_000).then(
      () => true,
      () => false,
    );
    if (ok !== false) break;
  }
  await deps.store.putVm({ vmId: r.vmId, state: 'cancelled', reason: 'released' });
  await deps.publish(r.vmId);
}

/**
 * Runs `ops` in order; answers each place op's decision, in order. A VM submitted before by another
 * request is refused (AlreadySubmittedError); one submitted by this request already (a retried
 * call) is answered from its record and not decided again.
 */
export async function placeOps(deps: WorkerDeps, ops: readonly BatchOp[]): Promise<PlaceVmResult[]> {
  const places = ops.filter((o): o is PlaceVmPayload => !('release' in o));
  const priors = await deps.store.getVms(places.map((p) => p.vm.id));
  const known = new Map<string, PlaceVmResult>();
  for (const [i, p] of places.entries()) {
    const rec = priors[i];
    if (!rec) continue;
    if (rec.requestId !== p.requestId) throw new AlreadySubmittedError(p.vm.id, rec.requestId ?? '');
    if (rec.state !== 'pending')
      known.set(p.vm.id, {
        v: JOBS_VERSION,
        placed: !!rec.hostId && rec.state !== 'failed',
        hostId: rec.hostId,
        deviceIds: rec.deviceIds,
        reason: rec.reason,
      });
  }
  const todo = ops.filter((o) => 'release' in o || !known.has(o.vm.id));
  const { out, released } = await deps.lock.run(() => decideMany(deps, todo));
  const releasedBy = new Map(released.map((r) => [r.vmId, r]));
  for (const [i, op] of todo.entries()) {
    if ('release' in op) {
      const r = releasedBy.get(op.release);
      if (r) void deps.hostOps.run(r.hostId, () => finishRelease(deps, r)).catch(() => undefined);
      continue;
    }
    const r = out[i];
    if (!r) continue;
    void deps.publish(op.vm.id).catch(() => undefined);
    if (r.placed && r.deviceIds!.length > 0)
      void deps.hostOps.run(r.hostId!, () => attachInline(deps, op, r.hostId!, r.deviceIds!)).catch(() => undefined);
  }
  const byVm = new Map<string, PlaceVmResult>();
  for (const [i, op] of todo.entries()) if (!('release' in op)) byVm.set(op.vm.id, out[i]!);
  return places.map((p) => known.get(p.vm.id) ?? byVm.get(p.vm.id)!);
}
