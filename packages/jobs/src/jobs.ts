// SPDX-License-Identifier: Apache-2.0
// Every queue, job, payload and result of iofleet's BullMQ work, in one place (STYLE.md item 17).
// Payloads carry a version so workers of a newer release can refuse (or upgrade) old jobs.

import type { VmRequest } from '@iofleet/placement';

export const JOBS_VERSION = 1;

export const QUEUE_PLACEMENT = 'iofleet-placement';
export const QUEUE_ATTACH = 'iofleet-attach';

export const JOB_PLACE_VM = 'place-vm';
export const JOB_ATTACH_VM = 'attach-vm';
export const JOB_DETACH_VM = 'detach-vm';

export type JobName = typeof JOB_PLACE_VM | typeof JOB_ATTACH_VM | typeof JOB_DETACH_VM;

/** W3C trace context carried in the job so a VM request is one trace end to end. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

export interface PlaceVmPayload {
  v: typeof JOBS_VERSION;
  requestId: string;
  vm: VmRequest;
  trace?: TraceCarrier;
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

export interface JobPayloads {
  [JOB_PLACE_VM]: PlaceVmPayload;
  [JOB_ATTACH_VM]: AttachVmPayload;
  [JOB_DETACH_VM]: DetachVmPayload;
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
