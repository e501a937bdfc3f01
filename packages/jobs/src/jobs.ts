// SPDX-License-Identifier: Apache-2.0
// Every queue, job, payload and result of iofleet's BullMQ work, in one place (STYLE.md item 17).
// Payloads carry a version so workers of a newer release can refuse (or upgrade) old jobs.

import type { VmRequest } from '@iofleet/placement';
import type { TraceCarrier } from '@iofleet/vocabulary';

export const JOBS_VERSION = 1;

export const QUEUE_PLACEMENT = 'iofleet-placement';
export const QUEUE_ATTACH = 'iofleet-attach';
/** Device workload runs of a what-if (`simulate --distributed --workers N`), taken by `iofleet worker`. */
export const QUEUE_IO = 'iofleet-io';

export const JOB_PLACE_VM = 'place-vm';
/** Many VM requests in one job, placed in their order (the scheduler batches the submits it gets at once). */
export const JOB_PLACE_BATCH = 'place-batch';
export const JOB_ATTACH_VM = 'attach-vm';
export const JOB_DETACH_VM = 'detach-vm';
export const JOB_RUN_IO = 'run-io';

export type JobName =
  | typeof JOB_PLACE_VM
  | typeof JOB_PLACE_BATCH
  | typeof JOB_ATTACH_VM
  | typeof JOB_DETACH_VM
  | typeof JOB_RUN_IO;

export interface PlaceVmPayload {
  v: typeof JOBS_VERSION;
  requestId: string;
  vm: VmRequest;
  trace?: TraceCarrier;
  /** Times this VM was placed again because its host went down during the attach. */
  replacements?: number;
}
/** VM requests to place in this order: one job, one reservation round trip, for all of them. */
export interface PlaceBatchPayload {
  v: typeof JOBS_VERSION;
  items: PlaceVmPayload[];
}

export interface PlaceVmResult {
  v: typeof JOBS_VERSION;
  placed: boolean;
  hostId?: string;
  deviceIds?: string[];
  reason?: string;
  rejections?: Record<string, number>;
}

export interface AttachVmPayload {
  v: typeof JOBS_VERSION;
  requestId: string;
  vmId: string;
  hostId: string;
  deviceIds: string[];
  guestMemoryMiB: number;
  trace?: TraceCarrier;
  /** The request, so the VM can be placed again if the host goes down before the attach. */
  vm?: VmRequest;
  replacements?: number;
}
export interface AttachVmResult {
  v: typeof JOBS_VERSION;
  attachedDeviceIds: string[];
}

export interface DetachVmPayload {
  v: typeof JOBS_VERSION;
  requestId: string;
  vmId: string;
  hostId: string;
}

/** One device workload: which device of the host, which plugin and options, in which run mode. */
export interface IoRunSpec {
  device: string;
  plugin: string;
  options: Record<string, string | number | boolean>;
  /** A @iofleet/host RunMode ('booted', 'vfio', 'emulated', 'viommu', 'viommu-bounce', ...). */
  mode: string;
}

/**
 * A batch of device workload runs on one host model: the host description with the variant's
 * hardware deltas applied (plain data, as @iofleet/host's schema reads it), the file it came from
 * (relative firmware paths resolve against it, so a worker on another machine needs the same
 * files), the variant's kernel settings, and the simulated time of each run.
 */
export interface RunIoPayload {
  v: typeof JOBS_VERSION;
  runId: string;
  desc: unknown;
  file: string;
  cmdline?: string;
  distro?: string;
  durationMs: number;
  runs: IoRunSpec[];
}

/** Figures of each run, in the order of the payload's runs. */
export interface RunIoResult {
  v: typeof JOBS_VERSION;
  figures: {
    iops: number;
    gbps: number;
    latencyP50Ns: number;
    latencyP99Ns: number;
    cpuNsPerIo: number;
    iotlbHitRate: number;
    pageTableBytes: number;
    faults: number;
    pluginFault?: string;
  }[];
}

export interface JobPayloads {
  [JOB_PLACE_VM]: PlaceVmPayload;
  [JOB_PLACE_BATCH]: PlaceBatchPayload;
  [JOB_ATTACH_VM]: AttachVmPayload;
  [JOB_DETACH_VM]: DetachVmPayload;
  [JOB_RUN_IO]: RunIoPayload;
}

/** Terminal and intermediate states of a VM request (mirrors proto VmState). */
export type VmState = 'pending' | 'placed' | 'attaching' | 'running' | 'failed' | 'cancelled';

export class JobVersionError extends Error {
  override readonly name = 'JobVersionError';
  constructor(job: string, v: unknown) {
    super(`job ${job} has payload version ${String(v)}; this worker understands ${JOBS_VERSION}`);
  }
}

export function checkVersion(job: string, payload: { v?: unknown }): void {
  if (payload.v !== JOBS_VERSION) throw new JobVersionError(job, payload.v);
}
