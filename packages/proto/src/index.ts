// SPDX-License-Identifier: Apache-2.0
// The gRPC contracts of proto/iofleet/v1, compiled by ts-proto into src/gen at build time
// (the `generate` target; src/gen is not committed). Named exports only (STYLE.md item 2):
// src/index.test.ts fails when a generated name is missing here (protobufFileName differs per
// file and is not re-exported).

export { AgentCallError, AgentClient, type AgentClientOptions } from './agent-client';
export { DESCRIPTOR_SET_BASE64 } from './gen/descriptor-set';
export {
  type DeepPartial,
  Device,
  type Exact,
  IommuMode,
  iommuModeFromJSON,
  iommuModeToJSON,
  type MessageFns,
  NumaNode,
  protobufPackage,
} from './gen/iofleet/v1/common';
export {
  AttachDevicesRequest,
  AttachDevicesResponse,
  AttachEvent,
  DetachDevicesRequest,
  DetachDevicesResponse,
  FaultEvent,
  GetInventoryRequest,
  GetInventoryResponse,
  GetStatsRequest,
  GetStatsResponse,
  GetStatsResponse_CountersEntry,
  HealthRequest,
  HealthResponse,
  HostAgentClient,
  type HostAgentServer,
  HostAgentService,
  HostInventory,
  RunWorkloadRequest,
  RunWorkloadRequest_OptionsEntry,
  RunWorkloadResponse,
  WatchEventsRequest,
  WatchEventsResponse,
  WorkloadPath,
  WorkloadResult,
  workloadPathFromJSON,
  workloadPathToJSON,
} from './gen/iofleet/v1/host_agent';
export {
  CancelVmRequest,
  CancelVmResponse,
  Colocation,
  DeviceRequest,
  GetVmRequest,
  GetVmResponse,
  HostSummary,
  ListHostsRequest,
  ListHostsResponse,
  NumaPolicy,
  numaPolicyFromJSON,
  numaPolicyToJSON,
  PlaceBatchRequest,
  PlaceBatchResponse,
  PlacementOp,
  SchedulerClient,
  type SchedulerServer,
  SchedulerService,
  SubmitVmRequest,
  SubmitVmResponse,
  VmSpec,
  VmState,
  VmStatus,
  VmStatus_RejectionsEntry,
  vmStateFromJSON,
  vmStateToJSON,
  WatchPlacementsRequest,
  WatchPlacementsResponse,
} from './gen/iofleet/v1/scheduler';
export {
  ExportTraceServiceRequest as OtlpExportTraceServiceRequest,
  ExportTraceServiceResponse as OtlpExportTraceServiceResponse,
  type TraceServiceServer as OtlpTraceServiceServer,
  TraceServiceService as OtlpTraceServiceService,
} from './gen/opentelemetry/proto/collector/trace/v1/trace_service';
// Minimal OTLP trace subset (proto/third_party/opentelemetry), for the in-repo test receiver.
export { AnyValue as OtlpAnyValue, KeyValue as OtlpKeyValue } from './gen/opentelemetry/proto/common/v1/common';
export { Span as OtlpSpan } from './gen/opentelemetry/proto/trace/v1/trace';
export {
  type CallErrorOf,
  CHANNEL_OPTIONS,
  type ClientConstructor,
  type ClientOptions,
  type ClientTlsFiles,
  callError,
  channelOptions,
  clientCredentials,
  DEFAULT_CALL_DEADLINE_MS,
  GrpcCallError,
  type StatusName,
  statusName,
  traceMetadata,
  type UnaryCallOptions,
  type UnaryMethod,
  unaryCall,
} from './grpc-call';
export {
  type CancelWatch,
  SchedulerApi,
  SchedulerCallError,
  type SchedulerClientOptions,
} from './scheduler-client';
export {
  checkHealth,
  type HealthStatus,
  type HealthWatch,
  reflectFilesOf,
  reflectServices,
  watchHealth,
} from './standard-clients';
export {
  addStandardServices,
  HEALTH_SERVICE,
  HOST_AGENT_SERVICE,
  packageDefinition,
  SCHEDULER_SERVICE,
  type StandardServices,
} from './standard-services';
export { isStatusError, StatusError, toServiceError } from './status-error';
