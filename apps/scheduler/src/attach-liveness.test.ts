// SPDX-License-Identifier: Apache-2.0
// Unit test (in-memory doubles of the registry and the store): an attach the agent answers just
// before its host goes down must not leave the VM recorded running on the dead host. The host-down
// handler (hostsLiveness) leaves VMs still attaching to failAttach(), so the attach itself has to
// notice; the integration test that kills an agent during attaches met this race under load.
import { type AttachVmPayload, JOB_ATTACH_VM, JOBS_VERSION, type VmRecord } from '@iofleet/jobs';
import { type Job, UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { processAttachVm, type WorkerDeps } from './workers';

const HOST = 'agent0-0000';
const payload: AttachVmPayload = {
  v: JOBS_VERSION,
  requestId: 'r-1',
  vmId: 'vm-1',
  hostId: HOST,
  deviceIds: ['0000:01:00.0'],
  guestMemoryMiB: 1024,
};

/** Doubles of what attachVm uses; `goDownAt` says when the host's agent dies. */
function deps(goDownAt: 'attach' | 'running-record' | 'never') {
  let alive = true;
  const records: VmRecord[] = [];
  const published: string[] = [];
  const d = {
    registry: {
      isAlive: (h: string) => h === HOST && alive,
      clientForHost: () => ({
        attach: async () => {
          if (goDownAt === 'attach') alive = false; // answered, then the agent died
          return { attachedDeviceIds: payload.deviceIds };
        },
      }),
    },
    store: {
      owners: async () => Object.fromEntries(payload.deviceIds.map((dev) => [dev, payload.vmId])),
      putVm: async (r: VmRecord) => {
        records.push(r);
        if (goDownAt === 'running-record' && r.state === 'running') alive = false;
      },
    },
    publish: async (vmId: string) => {
      published.push(vmId);
    },
  } as unknown as WorkerDeps;
  return { d, records, published };
}

const job = { name: JOB_ATTACH_VM, data: payload } as Job<AttachVmPayload>;

describe('an attach whose host goes down as it completes', () => {
  it('answered just before the agent died: not recorded running, fails for good so failAttach places it again', async () => {
    const { d, records, published } = deps('attach');
    const err = await processAttachVm(d, job).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(/host agent0-0000 is down/);
    expect(records.map((r) => r.state)).toEqual(['attaching']);
    expect(published).toEqual([]);
  });

  it('down while its running record is written: fails for good as well, not published running', async () => {
    const { d, records, published } = deps('running-record');
    const err = await processAttachVm(d, job).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(records.map((r) => r.state)).toEqual(['attaching', 'running']);
    expect(published).toEqual([]);
  });

  it('a host that stays up: recorded running and published', async () => {
    const { d, records, published } = deps('never');
    await expect(processAttachVm(d, job)).resolves.toMatchObject({ attachedDeviceIds: payload.deviceIds });
    expect(records.map((r) => r.state)).toEqual(['attaching', 'running']);
    expect(published).toEqual(['vm-1']);
  });
});
