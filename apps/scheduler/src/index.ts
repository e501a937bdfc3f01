// SPDX-License-Identifier: Apache-2.0
export { placementHostFromInventory, vmRequestFromSpec } from './convert';
export { AlreadySubmittedError, RequestError, VmNotFoundError } from './errors';
export { DEAD_AFTER_MISSED_HEARTBEATS, HostRegistry, type RegisteredHost } from './registry';
export { type RunningScheduler, type SchedulerOptions, startScheduler, VM_EVENTS_CHANNEL } from './scheduler';
export { schedulerImplementation, vmStatus } from './service';
export { MAX_RESERVATION_CONFLICTS, processAttachVm, processPlaceVm, type WorkerDeps } from './workers';
