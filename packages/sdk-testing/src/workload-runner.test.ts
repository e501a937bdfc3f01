// SPDX-License-Identifier: Apache-2.0
// The runner's reap order (workload-runner.ts): a CPU reaps the I/Os complete when its reap
// starts, then refills their slots before it reaps again, as fio's do_io() loop does — an I/O
// completing during a reap waits for the next one instead of holding back the refills.
import { defineDevicePlugin, type IoHandle, SDK_VERSION } from '@iofleet/sdk';
import { describe, expect, it } from 'vitest';
import { TestEnvironment } from './test-environment';

interface SeqIo extends IoHandle {
  seq: number;
}

/** Records the order of its hooks; `completeNs` of CPU per completion, `deviceNs` per I/O. */
const recorder = (calls: string[]) =>
  defineDevicePlugin<{ qd: number; completeNs: number; deviceNs: number }>({
    name: 'reap-order',
    version: '1.0.0',
    sdk: `^${SDK_VERSION}`,
    parseOptions: (raw) => ({
      qd: Number(raw.qd ?? 2),
      completeNs: Number(raw.completeNs ?? 600),
      deviceNs: Number(raw.deviceNs ?? 1000),
    }),
    create: (ctx, o) => ({
      workload: {
        queueDepth: o.qd,
        submit(seq: number): SeqIo {
          calls.push(`s${seq}`);
          ctx.cpu.work(10);
          return { bytes: 4096, seq };
        },
        device() {
          ctx.bus.busy(o.deviceNs);
        },
        complete(io: SeqIo) {
          calls.push(`c${io.seq}`);
          ctx.cpu.work(o.completeNs);
        },
      },
    }),
  });

describe('workload runner', () => {
  it('refills the slots a reap freed before reaping I/Os that completed during it', () => {
    const calls: string[] = [];
    // QD2: I/O 0 is done at ~1010 ns, I/O 1 at ~1020 ns; reaping I/O 0 takes 600 ns, so I/O 1
    // completes during that reap: the refill (s2) comes before it (c1), and so on.
    new TestEnvironment(recorder(calls), { mode: 'pt' }).run({ maxIos: 6, durationNs: 1e9 });
    expect(calls.slice(0, 8)).toEqual(['s0', 's1', 'c0', 's2', 'c1', 's3', 'c2', 's4']);
  });

  it('reaps together the I/Os already complete when the reap starts', () => {
    const calls: string[] = [];
    // A 1 ns device: I/Os 0-2 are complete while the CPU still submits the next (10 ns each), so the
    // reap that starts when the queue is full (40 ns) takes those three; I/O 3, done just after,
    // waits for the refills. The next reap finds I/Os 3 and 4 both complete and takes them together.
    new TestEnvironment(recorder(calls), { mode: 'pt', options: { qd: '4', completeNs: '100', deviceNs: '1' } }).run({
      maxIos: 8,
      durationNs: 1e9,
    });
    expect(calls.slice(0, 12)).toEqual(['s0', 's1', 's2', 's3', 'c0', 'c1', 'c2', 's4', 's5', 's6', 'c3', 'c4']);
  });
});
