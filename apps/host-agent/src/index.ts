// SPDX-License-Identifier: Apache-2.0
export type { AttachOutcome, HostBackend } from './backend';
export { AgentError, type AgentErrorCode, isAgentError, toServiceError } from './errors';
export {
  type AgentServerOptions,
  type RunningAgent,
  serverCredentials,
  startAgentServer,
  type TlsFiles,
} from './server';
export { AgentService, MAX_REMEMBERED_REQUESTS } from './service';
