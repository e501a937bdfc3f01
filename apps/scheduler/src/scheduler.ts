// SPDX-License-Identifier: Apache-2.0
// One scheduler process: the Scheduler gRPC service, the placement and attach workers, the host
// registry with heartbeats, and the reconciler. Several processes may share one Redis.

import * as grpc from '@grpc/grpc-js';
import {
  type AttachVmPayload,
  FleetStore,
  JOB_PLACE_VM,
  JOBS_VERSION,
  type PlaceVmPayload,
  QUEUE_ATTACH,
  QUEUE_PLACEMENT,
} from '@iofleet/jobs';
import { DEFAULT_POLICY, FleetState, PlacementPolicy, type PolicyOptions, type VmRequest } from '@iofleet/placement';
import { addStandardServices, type ClientTlsFiles, SCHEDULER_SERVICE, SchedulerService } from '@iofleet/proto';
import { carrierFromActive, IofleetMetrics, SERVICE_SCHEDULER, startMetricsServer } from '@iofleet/telemetry';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { placementHostFromInventory } from './convert';
import { type ReconcileCounters, reconcileHost } from './reconciler';
import { HostRegistry, type RegisteredHost } from './registry';
import { schedulerImplementation } from './service';
import { failAttach, failPlacement, processAttachVm, processPlaceVm, type WorkerDeps } from './workers';

export const VM_EVENTS_CHANNEL = 'iofleet:vm-events';

export interface SchedulerOptions {
  redisUrl: string;
  agents: readonly string[];
  listen: string;
  heartbeatMs?: number;
  concurrency?: number;
  policy?: PolicyOptions;
  /** BullMQ lock duration / stalled-check interval (ms): how fast a crashed worker's job moves on. */
  lockMs?: number;
  /** TLS (or mutual TLS) towards the host agents. */
  agentTls?: ClientTlsFiles;
  /** Serve Prometheus metrics at http://<host:port>/metrics. */
  metricsListen?: string;
}

export interface RunningScheduler {
  port: number;
  address: string;
  deps: WorkerDeps;
  registry: HostRegistry;
  reconcile: ReconcileCounters;
  /** Where /metrics is served, when it is. */
  metricsAddress?: string;
  submit(requestId: string, vm: VmRequest): Promise<void>;
  stop(): Promise<void>;
}

export async function startScheduler(opts: SchedulerOptions): Promise<RunningScheduler> {
  const connection = { url: opts.redisUrl, maxRetriesPerRequest: null };
  // Auto-pipelining batches the commands of concurrent jobs into one round trip.
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: null, enableAutoPipelining: true });
  const pub = new Redis(opts.redisUrl, { maxRetriesPerRequest: null, enableAutoPipelining: true });
  const store = new FleetStore(redis);
  const state = new FleetState();
  const policy = new PlacementPolicy(state, opts.policy ?? DEFAULT_POLICY);
  const registry = new HostRegistry(opts.agents, opts.heartbeatMs ?? 1000, opts.agentTls ? { tls: opts.agentTls } : {});
  const placeQueue = new Queue(QUEUE_PLACEMENT, { connection });
  const attachQueue = new Queue(QUEUE_ATTACH, { connection });
  const metrics = opts.metricsListen ? new IofleetMetrics(SERVICE_SCHEDULER) : undefined;
  const deps: WorkerDeps = {
    ...(metrics && { metrics }),
    state,
    policy,
    store,
    registry,
    attachQueue,
    publish: async (vmId) => {
      await pub.publish(VM_EVENTS_CHANNEL, vmId);
    },
  };

  const reconcile: ReconcileCounters = { reattached: 0, detached: 0, errors: 0 };
  registry.onRefresh = async (hosts: RegisteredHost[]) => {
    const owners = await store.ownersMany(hosts.map((h) => h.hostId));
    // Hosts join the placement view in id order, whatever order their agents answered in, so the
    // policy sees the same fleet in every run (and as the embedded what-if does).
    for (const h of [...hosts].sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0))) {
      if (!state.host(h.hostId)) state.addHost(placementHostFromInventory(h.inventory));
      const recorded = owners.get(h.hostId) ?? {};
      state.syncDeviceOwners(h.hostId, recorded);
      await reconcileHost(store, registry, h, recorded, reconcile).catch(() => {
        reconcile.errors++;
      });
    }
  };
  await registry.refresh();
  registry.start();

  const lock = opts.lockMs ?? 30_000;
  const workerOpts = { connection, concurrency: opts.concurrency ?? 8, lockDuration: lock, stalledInterval: lock };
  const placeWorker = new Worker<PlaceVmPayload>(QUEUE_PLACEMENT, (job) => processPlaceVm(deps, job), {
    ...workerOpts,
    // Decisions run one at a time on the event loop and take their devices in the local view at
    // once; reservations are atomic in Redis. Concurrency overlaps the Redis round trips.
    concurrency: opts.concurrency ?? 8,
  });
  placeWorker.on('failed', (job, err) => {
    if (job && (job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError')) {
      void failPlacement(deps, job.data, err.message).catch(() => undefined);
    }
  });
  const attachWorker = new Worker<AttachVmPayload>(QUEUE_ATTACH, (job) => processAttachVm(deps, job), workerOpts);
  attachWorker.on('failed', (job, err) => {
    if (job && (job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError')) {
      void failAttach(deps, job.data, err.message).catch(() => undefined);
    }
  });

  const submit = async (requestId: string, vm: VmRequest) => {
    const existing = await store.getVm(vm.id);
    if (existing && existing.requestId !== requestId)
      throw new Error(`VM ${vm.id} was already submitted by request ${existing.requestId}`);
    if (!existing) await store.putVm({ vmId: vm.id, state: 'pending', requestId });
    // The request's trace continues in the placement job (W3C trace context in the payload).
    const payload: PlaceVmPayload = { v: JOBS_VERSION, requestId, vm, trace: carrierFromActive() };
    await placeQueue.add(JOB_PLACE_VM, payload, {
      jobId: `place-${requestId}`,
      attempts: 3,
      backoff: { type: 'exponential', delay: 200 },
    });
  };

  const served = metrics
    ? await startMetricsServer(metrics, opts.metricsListen!, async () => {
        // Queue depths are read from Redis when Prometheus scrapes.
        for (const q of [placeQueue, attachQueue]) {
          const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed');
          for (const [state, n] of Object.entries(counts)) metrics.queueDepth.set({ queue: q.name, state }, n);
        }
      })
    : null;
  const server = new grpc.Server();
  server.addService(
    SchedulerService,
    schedulerImplementation({
      store,
      registry,
      submit,
      redisUrl: opts.redisUrl,
      releaseLocal: (vmId) => state.release(vmId),
    }),
  );
  // grpc.health.v1.Health and server reflection beside the Scheduler service (grpcurl, k8s probes).
  const standard = addStandardServices(server, [SCHEDULER_SERVICE]);
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync(opts.listen, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
  standard.setServing(true);
  const host = opts.listen.slice(0, opts.listen.lastIndexOf(':'));
  return {
    port,
    address: `${host}:${port}`,
    deps,
    registry,
    reconcile,
    ...(served && { metricsAddress: served.address }),
    submit,
    async stop() {
      // Probes see NOT_SERVING from the start of the drain; health Watch streams end.
      standard.shutdown();
      await new Promise<void>((r) => server.tryShutdown(() => r()));
      registry.stop();
      await Promise.all([placeWorker.close(), attachWorker.close()]);
      await Promise.all([placeQueue.close(), attachQueue.close()]);
      await Promise.all([redis.quit(), pub.quit()]);
      served?.server.close();
    },
  };
}
