// SPDX-License-Identifier: Apache-2.0
// The gRPC ecosystem's standard services beside ours, so grpcurl and Kubernetes gRPC probes work
// against the host agent and the scheduler:
// - grpc.health.v1.Health (Check and Watch; grpc-health-check, the grpc-node implementation of
//   https://github.com/grpc/grpc/blob/master/doc/health-checking.md): the server as a whole ('')
//   and each of our services by full name, SERVING when ready, NOT_SERVING while draining.
// - Server reflection (v1 and v1alpha; @grpc/reflection), from the descriptor set compiled with the
//   protos (src/gen/descriptor-set.ts): bundled with the app, nothing read from disk.

import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import type * as grpc from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import { DESCRIPTOR_SET_BASE64 } from './gen/descriptor-set';

/** Full name of the health service, as probes and grpcurl name it. */
export const HEALTH_SERVICE = 'grpc.health.v1.Health';
export const HOST_AGENT_SERVICE = 'iofleet.v1.HostAgent';
export const SCHEDULER_SERVICE = 'iofleet.v1.Scheduler';

/** What a server's health and reflection give the process that owns them. */
export interface StandardServices {
  /** Health of '' (the whole server) and of every named service. */
  setServing(serving: boolean): void;
  /** NOT_SERVING, then ends open Watch streams so a draining server can shut down. */
  shutdown(): void;
}

let descriptors: PackageDefinition | undefined;

/**
 * What reflection serves: the FileDescriptorProtos of every file of proto/ as buf compiled them
 * (names, imports and comments kept), and the health service's. Reflection reads only each
 * entry's `fileDescriptorProtos`; ours go in as one entry, because proto-loader's own loading of
 * a descriptor set regroups the types into files and loses which file declared what.
 */
export function packageDefinition(): PackageDefinition {
  if (descriptors) return descriptors;
  const set = fromBinary(FileDescriptorSetSchema, Buffer.from(DESCRIPTOR_SET_BASE64, 'base64'));
  const ours = {
    format: 'Protocol Buffer 3 FileDescriptorSet',
    type: {},
    fileDescriptorProtos: set.file.map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f))),
  };
  descriptors = {
    'iofleet.descriptors': ours as unknown as PackageDefinition[string],
    // grpc-health-check ships its .proto in its npm package (found in node_modules at run time);
    // proto-loader names the file after the package (grpc_health_v1.proto).
    ...loadSync(healthProtoPath, { keepCase: true }),
  };
  return descriptors;
}

/**
 * Adds Health and reflection to `server`; `services` are the full names of the services it
 * serves (e.g. HOST_AGENT_SERVICE). Health starts NOT_SERVING: call setServing(true) when ready.
 */
export function addStandardServices(server: grpc.Server, services: readonly string[]): StandardServices {
  const names = ['', ...services];
  const health = new HealthImplementation(Object.fromEntries(names.map((n) => [n, 'NOT_SERVING' as ServingStatus])));
  const watches = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  // Watch streams are tracked so shutdown() can end them (the health package never does).
  const proxy: Parameters<HealthImplementation['addToServer']>[0] = {
    addService(def, impl) {
      const watch = impl.watch as unknown as grpc.handleServerStreamingCall<unknown, unknown>;
      server.addService(def as unknown as grpc.ServiceDefinition, {
        ...(impl as unknown as grpc.UntypedServiceImplementation),
        watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
          watches.add(call);
          call.on('cancelled', () => watches.delete(call));
          watch(call);
        },
      });
    },
  };
  health.addToServer(proxy);
  new ReflectionService(packageDefinition(), { services: [...services, HEALTH_SERVICE] }).addToServer(server);
  const setServing = (serving: boolean) => {
    for (const n of names) health.setStatus(n, serving ? 'SERVING' : 'NOT_SERVING');
  };
  return {
    setServing,
    shutdown() {
      setServing(false);
      for (const w of watches) w.end();
      watches.clear();
    },
  };
}
