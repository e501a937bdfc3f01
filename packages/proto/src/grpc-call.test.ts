// SPDX-License-Identifier: Apache-2.0
// unaryCall, SchedulerApi and toServiceError over a real loopback socket: a StatusError thrown in a
// handler reaches the client as its typed call error with the same status; a deadline that passes
// is DEADLINE_EXCEEDED. (Trace propagation is checked end to end by the scheduler's observability test.)
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SchedulerServer, SchedulerService } from './gen/iofleet/v1/scheduler';
import { GrpcCallError, statusName } from './grpc-call';
import { SchedulerApi, SchedulerCallError } from './scheduler-client';
import { StatusError, toServiceError } from './status-error';

const server = new grpc.Server();
let address = '';

beforeAll(async () => {
  const impl: Partial<SchedulerServer> = {
    getVm: (call, cb) => {
      if (call.request.vmId === 'slow') return void setTimeout(() => cb(null, {}), 2000);
      if (call.request.vmId === 'boom') return cb(toServiceError(new Error('disk on fire')));
      cb(toServiceError(new StatusError('NOT_FOUND', `VM ${call.request.vmId} not found`)));
    },
    listHosts: (_call, cb) =>
      cb(null, { hosts: [{ hostId: 'h0', agentAddress: 'a', iommuMode: 0, freeDevices: 3, alive: true }] }),
  };
  server.addService(SchedulerService, impl as SchedulerServer);
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
  address = `127.0.0.1:${port}`;
});
afterAll(() => server.forceShutdown());

describe('unaryCall through SchedulerApi', () => {
  it('answers, and a StatusError thrown by the handler arrives as a SchedulerCallError with its status', async () => {
    const c = new SchedulerApi(address);
    try {
      expect((await c.listHosts()).map((h) => h.hostId)).toEqual(['h0']);
      const e = await c.get('vm9').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(SchedulerCallError);
      expect(e).toBeInstanceOf(GrpcCallError);
      expect(e).toMatchObject({ method: 'GetVm', code: grpc.status.NOT_FOUND, codeName: 'NOT_FOUND' });
      expect((e as Error).message).toBe('GetVm: NOT_FOUND: VM vm9 not found');
      await expect(c.get('boom')).rejects.toMatchObject({
        code: grpc.status.INTERNAL,
        details: 'internal error: disk on fire',
      });
    } finally {
      c.close();
    }
  });

  it('fails with DEADLINE_EXCEEDED once the deadline passes', async () => {
    const c = new SchedulerApi(address, { deadlineMs: 100 });
    try {
      await expect(c.get('slow')).rejects.toMatchObject({ codeName: 'DEADLINE_EXCEEDED' });
      await expect(c.get('slow', 50)).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    } finally {
      c.close();
    }
  });

  it('names every status code, and an unknown one', () => {
    expect(statusName(grpc.status.ALREADY_EXISTS)).toBe('ALREADY_EXISTS');
    expect(statusName(99)).toBe('UNKNOWN_STATUS_99');
  });
});
