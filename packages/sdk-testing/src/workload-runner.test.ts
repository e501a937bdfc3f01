// SPDX-License-Identifier: Apache-2.0
// The runner's reap order (workload-runner.ts): a CPU reaps the I/Os complete when its reap
// starts, then refills their slots before it reaps again, as fio's do_io() loop does — an I/O
// completing during a reap waits for the next one instead of holding back the refills. And its
// batches, as fio's: `submitBatch` (iodepth_batch_submit) I/Os go to the device at once, and a reap
// waits for `completeBatchMin` (iodepth_batch_complete_min) completions before any refill.
import { defineDevicePlugin, type IoHandle, SDK_VERSION } from '@iofleet/sdk';
import { describe, expect, it } from 'vitest';
import { TestEnvironment } from './test-environment';

interface SeqIo extends IoHandle {
  seq: number;
}

interface RecorderOptions {
  qd: number;
  completeNs: number;
  deviceNs: number;
  submitBatch?: number;
  completeBatchMin?: number;
}

/**
 * Records the order of its hooks; `completeNs` of CPU per completion, `deviceNs` per I/O. With
 * `devices`, it also records when each I/O's device work starts (`d<seq>@<ns>`).
 */
const recorder = (calls: string[], devices?: string[]) =>
  defineDevicePlugin<RecorderOptions>({
    name: 'reap-order',
    version: '1.0.0',
    sdk: `^${SDK_VERSION}`,
    parseOptions: (raw) => ({
      qd: Number(raw.qd ?? 2),
      completeNs: Number(raw.completeNs ?? 600),
      deviceNs: Number(raw.deviceNs ?? 1000),
      ...(raw.submitBatch !== undefined && { submitBatch: Number(raw.submitBatch) }),
      ...(raw.completeBatchMin !== undefined && { completeBatchMin: Number(raw.completeBatchMin) }),
    }),
    create: (ctx, o) => ({
      workload: {
        queueDepth: o.qd,
        ...(o.submitBatch !== undefined && { submitBatch: o.submitBatch }),
        ...(o.completeBatchMin !== undefined && { completeBatchMin: o.completeBatchMin }),
        submit(seq: number): SeqIo {
          calls.push(`s${seq}`);
          ctx.cpu.work(10);
          return { bytes: 4096, seq };
        },
        device(io: SeqIo) {
          devices?.push(`d${io.seq}@${ctx.bus.nowNs()}`);
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

  /** Runs the recorder with these options; the hook order, and device starts if asked. */
  const runRecorder = (options: Record<string, string>, maxIos: number, devices?: string[]) => {
    const calls: string[] = [];
    const r = new TestEnvironment(recorder(calls, devices), { mode: 'pt', options }).run({ maxIos, durationNs: 1e9 });
    return { calls, r };
  };

  it('hands a batch of submitBatch I/Os to the device at once, when the last of them is submitted', () => {
    // One at a time (default), I/O 0's device work starts after its own submission (10 ns of
    // CPU), 10 ns before I/O 1's; in batches of two both start when I/O 1 is submitted.
    const single: string[] = [];
    runRecorder({ qd: '4', completeNs: '100' }, 2, single);
    const [d0, d1] = single.map((d) => Number(d.split('@')[1]));
    expect(d1! - d0!).toBe(10);
    const batched: string[] = [];
    const { calls } = runRecorder({ qd: '4', completeNs: '100', submitBatch: '2' }, 4, batched);
    expect(calls.slice(0, 4)).toEqual(['s0', 's1', 's2', 's3']);
    const t = batched.map((d) => Number(d.split('@')[1]));
    expect(batched.map((d) => d.split('@')[0])).toEqual(['d0', 'd1', 'd2', 'd3']);
    expect(t[0]).toBe(t[1]);
    expect(t[1]! - d0!).toBe(10); // at I/O 1's submission end
    expect(t[2]).toBe(t[3]);
    expect(t[2]! - t[1]!).toBe(20);
  });

  it('sends a short batch when the queue is full, and a batch above the queue depth is the queue depth', () => {
    // QD3 in batches of two: I/Os 0-1 go together; I/O 2 fills the queue and goes alone (fio commits
    // what is queued before it waits for completions). A batch of 8 at QD3 is a batch of 3.
    const devices: string[] = [];
    const { calls } = runRecorder({ qd: '3', completeNs: '100', submitBatch: '2' }, 3, devices);
    expect(calls.slice(0, 3)).toEqual(['s0', 's1', 's2']);
    const t = devices.map((d) => Number(d.split('@')[1]));
    expect(t[0]).toBe(t[1]);
    expect(t[2]! - t[1]!).toBe(10);
    const capped: string[] = [];
    const big = runRecorder({ qd: '3', completeNs: '100', submitBatch: '8' }, 3, capped);
    expect(big.r.ios).toBe(3);
    const c = capped.map((d) => Number(d.split('@')[1]));
    expect(new Set(c).size).toBe(1);
  });

  it('waits for completeBatchMin completions before refilling any slot, then takes what is complete', () => {
    // QD4, I/Os done at ~1010, 1020, 1030, 1040 ns, 600 ns to complete each. Waiting for one, the
    // first reap takes I/O 0 alone (the others completed during it) and its slot is refilled
    // before I/Os 1-3 are reaped. Waiting for two: I/O 1 is the second, handled at 1610 ns, when
    // I/Os 2 and 3 are complete too, so the reap takes all four before refilling.
    const one = runRecorder({ qd: '4' }, 8);
    expect(one.calls.slice(0, 8)).toEqual(['s0', 's1', 's2', 's3', 'c0', 's4', 'c1', 'c2']);
    const two = runRecorder({ qd: '4', completeBatchMin: '2' }, 8);
    expect(two.calls.slice(0, 12)).toEqual(['s0', 's1', 's2', 's3', 'c0', 'c1', 'c2', 'c3', 's4', 's5', 's6', 's7']);
    expect(two.r.ios).toBe(8);
  });

  it("times a batched reap's I/Os at the reap's end, where fio takes their completion time", () => {
    // QD2: I/Os done at ~1010 and ~1020 ns, 600 ns to complete each. Waiting for one, I/O 0 ends
    // at its own completion (1610 ns) and I/O 1 at 2210 ns. Waiting for two, I/O 0 ends with the
    // reap, when I/O 1 does: their latencies differ only by their submit starts (10 ns apart).
    const spread = (o: Record<string, string>) => {
      const { r } = runRecorder({ qd: '2', ...o }, 2);
      return r.latencyP99Ns - r.latencyQuantilesNs[0]!;
    };
    expect(spread({})).toBe(590);
    expect(spread({ completeBatchMin: '2' })).toBe(10);
  });

  it('a reap waits for the I/Os in flight when fewer than completeBatchMin are', () => {
    // QD4, waiting for 4, a budget of 6 I/Os: after the first reap only two are left to submit, and
    // the last reap takes those two instead of waiting for four forever.
    const { calls, r } = runRecorder({ qd: '4', completeNs: '100', completeBatchMin: '4' }, 6);
    expect(calls).toEqual(['s0', 's1', 's2', 's3', 'c0', 'c1', 'c2', 'c3', 's4', 's5', 'c4', 'c5']);
    expect(r.ios).toBe(6);
  });

  it('refuses a batch that is not an integer of 1 or more', () => {
    expect(() => runRecorder({ qd: '4', submitBatch: '0' }, 4)).toThrow(/submitBatch 0 is not an integer/);
    expect(() => runRecorder({ qd: '4', completeBatchMin: '1.5' }, 4)).toThrow(/completeBatchMin 1.5/);
  });
});
