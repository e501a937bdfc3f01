// SPDX-License-Identifier: Apache-2.0
// Starts the HostAgent gRPC server: insecure, TLS, or mutual TLS from certificate files; drains
// on SIGTERM (in-flight calls finish, new ones get UNAVAILABLE, then the server shuts down).
// Beside HostAgent it serves grpc.health.v1.Health (SERVING once bound, NOT_SERVING from the
// start of a drain) and server reflection, for grpcurl and Kubernetes gRPC probes.

import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { addStandardServices, HOST_AGENT_SERVICE, HostAgentService } from '@iofleet/proto';
import type { HostBackend } from './backend';
import { AgentService } from './service';

export interface TlsFiles {
  cert: string;
  key: string;
  /** CA bundle to verify client certificates: turns on mutual TLS. */
  clientCa?: string;
}

export interface AgentServerOptions {
  /** host:port to listen on; port 0 picks a free one. */
  listen: string;
  tls?: TlsFiles;
  /** How long a drain may take before remaining calls are cut (ms). */
  drainTimeoutMs?: number;
}

export interface RunningAgent {
  port: number;
  address: string;
  service: AgentService;
  /** Drain and stop (what SIGTERM does). */
  stop(): Promise<void>;
}

export function serverCredentials(tls?: TlsFiles): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const ca = tls.clientCa ? readFileSync(tls.clientCa) : null;
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ cert_chain: readFileSync(tls.cert), private_key: readFileSync(tls.key) }],
    !!ca,
  );
}

export async function startAgentServer(
  backends: readonly HostBackend[],
  opts: AgentServerOptions,
): Promise<RunningAgent> {
  const service = new AgentService(backends);
  const server = new grpc.Server();
  server.addService(HostAgentService, service.implementation());
  const standard = addStandardServices(server, [HOST_AGENT_SERVICE]);
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync(opts.listen, serverCredentials(opts.tls), (e, p) => (e ? rej(e) : res(p))),
  );
  standard.setServing(true);
  const host = opts.listen.slice(0, opts.listen.lastIndexOf(':'));
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const timeout = new Promise<void>((r) => setTimeout(r, opts.drainTimeoutMs ?? 10_000).unref());
      // Probes see NOT_SERVING at once; health Watch streams end so they do not hold the drain.
      standard.shutdown();
      await Promise.race([service.drain(), timeout]);
      await Promise.race([new Promise<void>((r) => server.tryShutdown(() => r())), timeout]);
      server.forceShutdown();
    })();
    return stopping;
  };
  return { port, address: `${host}:${port}`, service, stop };
}
