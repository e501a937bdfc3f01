// SPDX-License-Identifier: Apache-2.0
export type { AttachOutcome, HostBackend } from './backend';
export { AgentError, type AgentErrorCode, isAgentError, toServiceError } from './errors';
export { MAX_EVENT_LISTENERS, MAX_WORKLOAD_NS, MODEL_GUEST_MIB, ModelBackend } from './model-backend';
export {
  type AgentServerOptions,
  type RunningAgent,
  serverCredentials,
  startAgentServer,
  type TlsFiles,
} from './server';
export { AgentService, MAX_REMEMBERED_REQUESTS } from './service';
export { hostIdFor, loadShard, MAX_HOSTS_PER_AGENT, type ShardOptions } from './shard';
