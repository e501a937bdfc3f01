// SPDX-License-Identifier: Apache-2.0
// Clients of the standard services (standard-services.ts), as grpcurl and a Kubernetes gRPC probe
// use them: health Check and Watch, and the reflection service's list of services. For scripts,
// tests and readiness checks; every call has a deadline.

import { dirname, join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { CHANNEL_OPTIONS as CHANNEL, callError, GrpcCallError, type UnaryMethod, unaryCall } from './grpc-call';

export type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

type Ctor = new (address: string, creds: grpc.ChannelCredentials, options?: object) => grpc.Client;
const ctors = new Map<string, Ctor>();

/** A client constructor for `service` (full name) loaded from `file` (found in node_modules at run time). */
function ctor(file: string, includeDir: string, service: string): Ctor {
  let c = ctors.get(service);
  if (!c) {
    const pkg = grpc.loadPackageDefinition(loadSync(file, { includeDirs: [includeDir], enums: String }));
    c = service.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], pkg) as Ctor;
    ctors.set(service, c);
  }
  return c;
}

const healthClient = (address: string, creds: grpc.ChannelCredentials) =>
  new (ctor(healthProtoPath, dirname(healthProtoPath), 'grpc.health.v1.Health'))(address, creds, CHANNEL);

/** grpc.health.v1.Health/Check of `service` ('' = the server as a whole). */
export function checkHealth(
  address: string,
  service = '',
  deadlineMs = 5000,
  creds = grpc.credentials.createInsecure(),
): Promise<HealthStatus> {
  const c = healthClient(address, creds);
  // biome-ignore lint/suspicious/noExplicitAny: a client made from a loaded package definition
  const check = (c as any).check as UnaryMethod<{ service: string }, { status: HealthStatus }>;
  return unaryCall(c, 'grpc.health.v1.Health/Check', check, { service }, { deadlineMs })
    .then((r) => r.status)
    .finally(() => c.close());
}

export interface HealthWatch {
  /** Statuses received so far, in order. */
  statuses: HealthStatus[];
  /** Resolves when the server ends the stream (or rejects with its error). */
  ended: Promise<void>;
  cancel(): void;
}

/** grpc.health.v1.Health/Watch of `service`: every status the server sends, until it ends. */
export function watchHealth(
  address: string,
  service = '',
  onStatus?: (s: HealthStatus) => void,
  creds = grpc.credentials.createInsecure(),
): HealthWatch {
  const c = healthClient(address, creds);
  // biome-ignore lint/suspicious/noExplicitAny: a client made from a loaded package definition
  const stream = (c as any).watch({ service }) as grpc.ClientReadableStream<{ status: HealthStatus }>;
  const statuses: HealthStatus[] = [];
  stream.on('data', (r) => {
    statuses.push(r.status);
    onStatus?.(r.status);
  });
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', () => resolve());
    stream.on('error', (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? resolve() : reject(e)));
  }).finally(() => c.close());
  return { statuses, ended, cancel: () => stream.cancel() };
}

interface ReflectionAnswer {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** One request on grpc.reflection.v1.ServerReflection/ServerReflectionInfo, and its answer. */
function reflect(address: string, req: object, deadlineMs: number, creds: grpc.ChannelCredentials) {
  const dir = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
  const file = join(dir, 'grpc', 'reflection', 'v1', 'reflection.proto');
  const c = new (ctor(file, dir, 'grpc.reflection.v1.ServerReflection'))(address, creds, CHANNEL);
  // biome-ignore lint/suspicious/noExplicitAny: a client made from a loaded package definition
  const stream = (c as any).serverReflectionInfo({ deadline: new Date(Date.now() + deadlineMs) });
  return new Promise<ReflectionAnswer>((resolve, reject) => {
    stream.on('data', (r: ReflectionAnswer) => {
      if (r.errorResponse) reject(new Error(`reflection: ${r.errorResponse.errorMessage}`));
      else resolve(r);
      stream.end();
    });
    stream.on('error', (e: grpc.ServiceError) =>
      reject(callError('grpc.reflection.v1.ServerReflection/ServerReflectionInfo', e, GrpcCallError)),
    );
    stream.write(req);
  }).finally(() => c.close());
}

/** The services a server lists through reflection (grpc.reflection.v1), as `grpcurl list` shows them. */
export async function reflectServices(
  address: string,
  deadlineMs = 5000,
  creds = grpc.credentials.createInsecure(),
): Promise<string[]> {
  const r = await reflect(address, { listServices: '' }, deadlineMs, creds);
  return (r.listServicesResponse?.service ?? []).map((s) => s.name).sort();
}

/** Names of the .proto files reflection sends for `symbol` (it and its imports), as `grpcurl describe` reads them. */
export async function reflectFilesOf(
  address: string,
  symbol: string,
  deadlineMs = 5000,
  creds = grpc.credentials.createInsecure(),
): Promise<string[]> {
  const r = await reflect(address, { fileContainingSymbol: symbol }, deadlineMs, creds);
  const files = r.fileDescriptorResponse?.fileDescriptorProto ?? [];
  return files.map((b) => fromBinary(FileDescriptorProtoSchema, b).name).sort();
}
