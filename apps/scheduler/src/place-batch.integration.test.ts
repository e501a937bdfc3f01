// SPDX-License-Identifier: Apache-2.0
// Integration: PlaceBatch on a real redis-server and a host agent over loopback gRPC. A batch of
// placements and releases must give exactly the decisions of the placement policy run one
// operation at a time in this process (what `simulate --distributed` relies on for the embedded
// run's placements), free released devices for later placements of the same batch, and leave the
// agent holding exactly the devices of the VMs still placed.
import { type RunningAgent, startAgentServer } from '@iofleet/host-agent';
import { ToyBackend } from '@iofleet/host-agent/testing';
import { type RedisProcess, startRedisServer } from '@iofleet/jobs';
import { FleetState, PlacementPolicy } from '@iofleet/placement';
import { type PlacementOp, SchedulerApi, VmState } from '@iofleet/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placementHostFromInventory, vmRequestFromSpec } from './convert';
import { type RunningScheduler, startScheduler } from './scheduler';
import { testVmSpec } from './testing/vm-spec';

let redis: RedisProcess;
let agent: RunningAgent;
let sched: RunningScheduler;
const backends = [0, 1, 2].map((h) => new ToyBackend(`h${h}`, { [`h${h}-g0`]: 1, [`h${h}-g1`]: 2 }));

beforeAll(async () => {
  redis = await startRedisServer();
  agent = await startAgentServer(backends, { listen: '127.0.0.1:0' });
  sched = await startScheduler({
    redisUrl: redis.url,
    agents: [agent.address],
    listen: '127.0.0.1:0',
    heartbeatMs: 300,
    namespace: 'batch-test',
  });
}, 30_000);

afterAll(async () => {
  await sched.stop();
  await agent.stop();
  await redis.stop();
});

const spec = testVmSpec('gpu', 'g');
const place = (vmId: string): PlacementOp => ({
  op: { $case: 'place', value: { requestId: `r-${vmId}`, vmId, spec } },
});
const release = (vmId: string): PlacementOp => ({ op: { $case: 'releaseVmId', value: vmId } });

describe('PlaceBatch', () => {
  it('decides placements and releases in order, as the policy one at a time; the agent ends with the placed VMs', async () => {
    // Six GPUs: eight VMs arrive, two leave between them, so the last two fit only on freed devices.
    const ops = [
      ...['a', 'b', 'c', 'd', 'e', 'f'].map(place),
      release('b'),
      place('g'),
      release('e'),
      release('never-placed'),
      place('h'),
      place('i'),
    ];
    const c = new SchedulerApi(sched.address);
    try {
      const decided = await c.placeBatch(ops);
      // The same operations through the policy in this process, on the same hosts in the same order.
      const state = new FleetState(backends.map((b) => placementHostFromInventory(b.inventory())));
      const policy = new PlacementPolicy(state);
      const expected: { vmId: string; hostId: string; deviceIds: string[] }[] = [];
      for (const o of ops) {
        if (o.op?.$case === 'releaseVmId') policy.release(o.op.value);
        else if (o.op?.$case === 'place') {
          const d = policy.place(vmRequestFromSpec(o.op.value.vmId, spec));
          expected.push({
            vmId: o.op.value.vmId,
            hostId: d.assignment?.hostId ?? '',
            deviceIds: d.assignment?.deviceIds ?? [],
          });
        }
      }
      expect(decided.map((d) => ({ vmId: d.vmId, hostId: d.hostId, deviceIds: d.deviceIds }))).toEqual(expected);
      expect(decided.map((d) => d.state)).toEqual([...Array(8).fill(VmState.VM_STATE_PLACED), VmState.VM_STATE_FAILED]);
      expect(decided.at(-1)!.reason).toMatch(/no host fits/);
      // The attaches and detaches follow: the agent holds the devices of a, c, d, f, g, h only.
      const held = new Set(['a', 'c', 'd', 'f', 'g', 'h']);
      const owners = () => backends.flatMap((b) => [...b.owner.values()]).sort();
      for (let k = 0; k < 200 && JSON.stringify(owners()) !== JSON.stringify([...held].sort()); k++)
        await new Promise((t) => setTimeout(t, 50));
      expect(owners()).toEqual([...held].sort());
      for (const vmId of held) {
        let st = await c.get(vmId);
        for (let k = 0; k < 100 && st.state !== VmState.VM_STATE_RUNNING; k++) {
          await new Promise((t) => setTimeout(t, 50));
          st = await c.get(vmId);
        }
        expect(st.state).toBe(VmState.VM_STATE_RUNNING);
      }
      expect((await c.get('b')).state).toBe(VmState.VM_STATE_CANCELLED);
      // The same call again (a client's retry) is answered from the records, deciding nothing anew.
      const again = await c.placeBatch([place('i')]);
      expect(again[0]!.state).toBe(VmState.VM_STATE_FAILED);
      await expect(
        c.placeBatch([{ op: { $case: 'place', value: { requestId: 'other', vmId: 'a', spec } } }]),
      ).rejects.toMatchObject({ details: 'VM a was already submitted by request r-a' });
      await expect(c.placeBatch([{ op: undefined }])).rejects.toMatchObject({
        details: 'ops[0]: neither place nor release_vm_id',
      });
    } finally {
      c.close();
    }
  }, 30_000);
});
