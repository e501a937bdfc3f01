// SPDX-License-Identifier: Apache-2.0
// One scheduler process: the Scheduler gRPC service, the placement and attach workers, the host
// registry with heartbeats, and the reconciler. Several processes may share one Redis.

import * as grpc from '@grpc/grpc-js';
import {
  type AttachVmPayload,
  bullPrefix,
  DEFAULT_NAMESPACE,
  FleetStore,
  JOB_PLACE_BATCH,
  OUTAGE_RETRY,
  type PlaceBatchPayload,
  type PlaceVmPayload,
  QUEUE_ATTACH,
  QUEUE_PLACEMENT,
  RedisOutageLog,
  vmEventsChannel,
} from '@iofleet/jobs';
import { DEFAULT_POLICY, FleetState, PlacementPolicy, type PolicyOptions, type VmRequest } from '@iofleet/placement';
import { addStandardServices, type ClientTlsFiles, SCHEDULER_SERVICE, SchedulerService } from '@iofleet/proto';
import { IofleetMetrics, startMetricsServer } from '@iofleet/telemetry';
import { SERVICE_SCHEDULER } from '@iofleet/vocabulary';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { processPlaceBatch, SubmitBatcher } from './batch';
import { placementHostFromInventory } from './convert';
import { HostChains } from './host-chain';
import { placeOps } from './place-ops';
import { type ReconcileCounters, reconcileHost } from './reconciler';
import { HostRegistry, type RegisteredHost } from './registry';
import { schedulerImplementation } from './service';
import { ViewLock } from './view-lock';
import { failAttach, failPlacement, hostsLiveness, processAttachVm, processPlaceVm, type WorkerDeps } from './workers';

/** The VM events channel of the default namespace (vmEventsChannel(ns) in general). */
export const VM_EVENTS_CHANNEL = vmEventsChannel(DEFAULT_NAMESPACE);

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
  /** Key, queue and channel namespace in Redis (default 'iofleet'): systems sharing a Redis differ here. */
  namespace?: string;
  /** How long startup waits for every listed agent to answer once, ms (default 30 s). */
  startupWaitMs?: number;
  /** Where warnings go (default stderr): Redis outages, hosts going down and coming back. */
  log?: (line: string) => void;
}

export interface RunningScheduler {
  port: number;
  address: string;
  deps: WorkerDeps;
  registry: HostRegistry;
  reconcile: ReconcileCounters;
  /** Where /metrics is served, when it is. */
  metricsAddress?: string;
  /** Queues a VM request (batched with the others of the moment); resolves with its state then. */
  submit(requestId: string, vm: VmRequest): Promise<string>;
  stop(): Promise<void>;
}

/** A placement job: a batch of VMs (submits), or one VM (placed again after its host went down). */
function placeJob(deps: WorkerDeps, job: Job<PlaceVmPayload | PlaceBatchPayload>): Promise<unknown> {
  return job.name === JOB_PLACE_BATCH
    ? processPlaceBatch(deps, job as Job<PlaceBatchPayload>)
    : processPlaceVm(deps, job as Job<PlaceVmPayload>);
}

/** Placement jobs at once per attach job allowed at once (--concurrency). */
export const PLACE_CONCURRENCY_FACTOR = 4;

/** Longest one step of stop() may take, ms. */
export const STOP_STEP_MS = 10_000;

/** Resolves true when `p` settles within `ms`, false otherwise (never rejects). */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => {
      t = setTimeout(() => r(false), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** Redis URL without its password, for logs. */
function redisWhere(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.username = '';
    return u.toString();
  } catch {
    return 'the configured Redis';
  }
}

export async function startScheduler(opts: SchedulerOptions): Promise<RunningScheduler> {
  const ns = opts.namespace ?? DEFAULT_NAMESPACE;
  const outage = new RedisOutageLog(redisWhere(opts.redisUrl), opts.log);
  const retryStrategy = OUTAGE_RETRY;
  const connection = { url: opts.redisUrl, maxRetriesPerRequest: null, retryStrategy };
  // Auto-pipelining batches the commands of concurrent jobs into one round trip.
  const redisOpts = { maxRetriesPerRequest: null, enableAutoPipelining: true, retryStrategy };
  const redis = new Redis(opts.redisUrl, redisOpts);
  const pub = new Redis(opts.redisUrl, redisOpts);
  for (const c of [redis, pub]) outage.watch(c);
  const store = new FleetStore(redis, ns);
  const state = new FleetState();
  const policy = new PlacementPolicy(state, opts.policy ?? DEFAULT_POLICY);
  const registry = new HostRegistry(opts.agents, opts.heartbeatMs ?? 1000, opts.agentTls ? { tls: opts.agentTls } : {});
  const prefix = bullPrefix(ns);
  const placeQueue = new Queue(QUEUE_PLACEMENT, { connection, prefix });
  const attachQueue = new Queue(QUEUE_ATTACH, { connection, prefix });
  for (const q of [placeQueue, attachQueue]) outage.watch(q);
  const metrics = opts.metricsListen ? new IofleetMetrics(SERVICE_SCHEDULER) : undefined;
  const eventsChannel = vmEventsChannel(ns);
  const deps: WorkerDeps = {
    ...(metrics && { metrics }),
    state,
    policy,
    store,
    registry,
    attachQueue,
    placeQueue,
    lock: new ViewLock(),
    hostOps: new HostChains(),
    publish: async (vmId) => {
      await pub.publish(eventsChannel, vmId);
    },
  };

  const reconcile: ReconcileCounters = { reattached: 0, detached: 0, errors: 0 };
  // The first view holds every agent's hosts (waiting, bounded, for each agent to answer once), in
  // host id order, so the policy sees the same fleet in every run, as the embedded what-if does.
  await registry.refreshUntilComplete(opts.startupWaitMs ?? 30_000);
  const onRefresh = async (hosts: RegisteredHost[]) => {
    const sorted = [...hosts].sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0));
    const owners = await deps.lock.run(async () => {
      // Read and applied under the view lock: no placement or release can fall in between.
      const o = await store.ownersMany(sorted.map((h) => h.hostId));
      for (const h of sorted) {
        if (!state.host(h.hostId)) state.addHost(placementHostFromInventory(h.inventory));
        state.syncDeviceOwners(h.hostId, o.get(h.hostId) ?? {});
      }
      return o;
    });
    for (const h of sorted) {
      await reconcileHost(store, registry, h, owners.get(h.hostId) ?? {}, reconcile, deps.hostOps).catch(() => {
        reconcile.errors++;
      });
    }
  };
  await onRefresh([...registry.hosts.values()]);
  registry.onRefresh = onRefresh;
  registry.onLiveness = (hosts, alive) => hostsLiveness(deps, hosts, alive, opts.log);
  registry.start();

  const lock = opts.lockMs ?? 30_000;
  const workerOpts = {
    connection,
    prefix,
    concurrency: opts.concurrency ?? 8,
    lockDuration: lock,
    stalledInterval: lock,
  };
  // Decisions take the view lock one at a time; concurrency overlaps the rest (Redis round trips,
  // attaches). Reservations are atomic in Redis.
  // A placement job also makes the VM's first attach attempt (a gRPC round trip to the agent),
  // so more of them run at once than attach retries do; decisions still take the lock in turn.
  const placeWorker = new Worker<PlaceVmPayload | PlaceBatchPayload>(QUEUE_PLACEMENT, (job) => placeJob(deps, job), {
    ...workerOpts,
    concurrency: PLACE_CONCURRENCY_FACTOR * (opts.concurrency ?? 8),
  });
  placeWorker.on('failed', (job, err) => {
    if (job && (job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError')) {
      const items = job.name === JOB_PLACE_BATCH ? (job.data as PlaceBatchPayload).items : [job.data as PlaceVmPayload];
      for (const x of items) void failPlacement(deps, x, err.message).catch(() => undefined);
    }
  });
  const attachWorker = new Worker<AttachVmPayload>(QUEUE_ATTACH, (job) => processAttachVm(deps, job), workerOpts);
  attachWorker.on('failed', (job, err) => {
    if (job && (job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError')) {
      void failAttach(deps, job.data, err.message).catch(() => undefined);
    }
  });
  for (const w of [placeWorker, attachWorker]) outage.watch(w);

  // Submits are batched: one record read and write round trip and one placement job per batch (batch.ts).
  const batcher = new SubmitBatcher(store, placeQueue);
  const submit = (requestId: string, vm: VmRequest) => batcher.submit(requestId, vm);

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
      eventsChannel,
      lock: deps.lock,
      releaseLocal: (vmId) => state.release(vmId),
      placeOps: (ops) => placeOps(deps, ops),
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
      // Every step is bounded: open WatchPlacements streams, a job stuck on a dead agent or a
      // Redis that is gone never keep the process from exiting.
      const bounded = (p: Promise<unknown>) => within(p, STOP_STEP_MS);
      if (!(await bounded(new Promise<void>((r) => server.tryShutdown(() => r()))))) server.forceShutdown();
      registry.stop();
      await bounded(Promise.all([placeWorker.close(), attachWorker.close()]));
      await bounded(Promise.all([placeQueue.close(), attachQueue.close()]));
      if (!(await bounded(Promise.all([redis.quit(), pub.quit()])))) for (const c of [redis, pub]) c.disconnect();
      served?.server.close();
    },
  };
}
