// SPDX-License-Identifier: Apache-2.0
// A typed, promise-based client of the Scheduler service (beside AgentClient), for the CLI's
// distributed runs and benchmarks and the scheduler's tests: every call carries a deadline and
// the caller's trace context, and a failure comes back as a SchedulerCallError with the status.

import { type ServiceError, status } from '@grpc/grpc-js';
import {
  type CancelVmRequest,
  type GetVmRequest,
  type HostSummary,
  type PlacementOp,
  SchedulerClient,
  type SubmitVmRequest,
  type SubmitVmResponse,
  type VmStatus,
} from './gen/iofleet/v1/scheduler';
import { type ClientOptions, callError, GrpcCallError, PromiseClient } from './grpc-call';

/** A Scheduler call that ended with a non-OK status (e.g. ALREADY_EXISTS for a VM another request submitted). */
export class SchedulerCallError extends GrpcCallError {
  override readonly name = 'SchedulerCallError';
}

export type SchedulerClientOptions = ClientOptions;

/** Stops a placement watch. */
export type CancelWatch = () => void;

export class SchedulerApi extends PromiseClient<SchedulerClient> {
  constructor(address: string, o: SchedulerClientOptions = {}) {
    super(SchedulerClient, address, o, SchedulerCallError);
  }

  /** Submits a VM; idempotent per request id, ALREADY_EXISTS when another request submitted the VM. */
  submit(req: SubmitVmRequest, deadlineMs?: number): Promise<SubmitVmResponse> {
    return this.call('SubmitVm', this.raw.submitVm, req, deadlineMs);
  }

  /** The VM's status (NOT_FOUND for a VM never submitted). */
  async get(vmId: GetVmRequest['vmId'], deadlineMs?: number): Promise<VmStatus> {
    const r = await this.call('GetVm', this.raw.getVm, { vmId }, deadlineMs);
    return r.status ?? emptyAnswer('GetVm');
  }

  /** Cancels a VM: releases its devices and detaches them on the agent; answers its status then. */
  async cancel(vmId: CancelVmRequest['vmId'], deadlineMs?: number): Promise<VmStatus> {
    const r = await this.call('CancelVm', this.raw.cancelVm, { vmId }, deadlineMs);
    return r.status ?? emptyAnswer('CancelVm');
  }

  /**
   * Placements and releases in the order given, as one step: each placement's decision, in order
   * (PLACED, or RUNNING without devices, with host and devices; FAILED with the reason).
   */
  async placeBatch(ops: PlacementOp[], deadlineMs?: number): Promise<VmStatus[]> {
    return (await this.call('PlaceBatch', this.raw.placeBatch, { ops }, deadlineMs)).placements;
  }

  /** The hosts the scheduler knows, with their free devices. */
  async listHosts(deadlineMs?: number): Promise<HostSummary[]> {
    return (await this.call('ListHosts', this.raw.listHosts, {}, deadlineMs)).hosts;
  }

  /** Every VM status change the scheduler publishes, from now on, until cancelled. */
  watchPlacements(onStatus: (s: VmStatus) => void, onError?: (e: SchedulerCallError) => void): CancelWatch {
    const stream = this.raw.watchPlacements({});
    stream.on('data', (r: { status?: VmStatus }) => r.status && onStatus(r.status));
    stream.on('error', (e: ServiceError) => {
      if (e.code !== status.CANCELLED) onError?.(callError('WatchPlacements', e, SchedulerCallError));
    });
    return () => stream.cancel();
  }
}

function emptyAnswer(method: string): never {
  throw new SchedulerCallError(method, status.INTERNAL, 'INTERNAL', 'the answer has no status');
}
