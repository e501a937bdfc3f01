// SPDX-License-Identifier: Apache-2.0
export { ChildNotReadyError, untilReady } from './child-ready';
export {
  bullPrefix,
  DEFAULT_NAMESPACE,
  deleteNamespace,
  FleetStore,
  NAMESPACE_PATTERN,
  ownerKey,
  type ReserveItem,
  type ReserveManyResult,
  type ReserveResult,
  type VmRecord,
  vmEventsChannel,
  vmKey,
} from './fleet-store';
export {
  type AttachVmPayload,
  type AttachVmResult,
  checkVersion,
  type DetachVmPayload,
  type IoRunSpec,
  JOB_ATTACH_VM,
  JOB_DETACH_VM,
  JOB_PLACE_BATCH,
  JOB_PLACE_VM,
  JOB_RUN_IO,
  JOBS_VERSION,
  type JobName,
  type JobPayloads,
  JobVersionError,
  type PlaceBatchPayload,
  type PlaceVmPayload,
  type PlaceVmResult,
  QUEUE_ATTACH,
  QUEUE_IO,
  QUEUE_PLACEMENT,
  type RunIoPayload,
  type RunIoResult,
  type VmState,
} from './jobs';
export { OUTAGE_RETRY, RedisOutageLog } from './outage-log';
export { freePort, type RedisOptions, type RedisProcess, startRedisServer } from './redis-process';
