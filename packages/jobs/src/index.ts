// SPDX-License-Identifier: Apache-2.0
export { FleetStore, ownerKey, type ReserveResult, type VmRecord, vmKey } from './fleet-store';
export {
  type AttachVmPayload,
  type AttachVmResult,
  checkVersion,
  type DetachVmPayload,
  JOB_ATTACH_VM,
  JOB_DETACH_VM,
  JOB_PLACE_VM,
  JOBS_VERSION,
  type JobName,
  type JobPayloads,
  JobVersionError,
  type PlaceVmPayload,
  type PlaceVmResult,
  QUEUE_ATTACH,
  QUEUE_PLACEMENT,
  type TraceCarrier,
  type VmState,
} from './jobs';
export { freePort, type RedisOptions, type RedisProcess, startRedisServer } from './redis-process';
