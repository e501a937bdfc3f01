// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { SimClock } from '../sim/sim-clock';
import {
  type FlushQueueHost,
  FlushQueues,
  IOVA_DEFAULT_FQ_SIZE,
  IOVA_DEFAULT_FQ_TIMEOUT_NS,
  IOVA_SINGLE_FQ_SIZE,
  IOVA_SINGLE_FQ_TIMEOUT_NS,
} from './flush-queue';

function recorder() {
  const events: string[] = [];
  const released: number[] = [];
  const host: FlushQueueHost = {
    flushIotlbAll: () => events.push('flush'),
    releaseEntry: (pfn) => released.push(pfn),
    runTimer: (t, h) => {
      events.push(`timer@${t}`);
      h();
    },
  };
  return { host, events, released };
}

describe('flush queue (dma-iommu.c queue_iova / fq_flush_timeout)', () => {
  it('holds 255 entries per CPU; the 256th queue_iova flushes and frees the earlier ones', () => {
    const clock = new SimClock();
    const r = recorder();
    const fq = new FlushQueues(2, clock, r.host);
    for (let i = 0; i < IOVA_DEFAULT_FQ_SIZE - 1; i++) fq.queueIova(0, 1000 + i, 1);
    expect(r.events).toEqual([]);
    expect(fq.pending).toBe(255);
    fq.queueIova(0, 5000, 1);
    expect(r.events).toEqual(['flush']);
    expect(r.released.length).toBe(255);
    expect(r.released[0]).toBe(1000);
    expect(fq.pending).toBe(1);
    expect(fq.fqFlushStartCnt).toBe(1);
    expect(fq.fqFlushFinishCnt).toBe(1);
  });

  it('flushes on the simulated 10 ms timer, not before, releasing every CPU queue', () => {
    const clock = new SimClock();
    const r = recorder();
    const fq = new FlushQueues(2, clock, r.host);
    fq.queueIova(0, 1, 1);
    fq.queueIova(1, 2, 1);
    expect(fq.timerArmed).toBe(true);
    clock.advanceTo(IOVA_DEFAULT_FQ_TIMEOUT_NS - 1);
    expect(r.released).toEqual([]);
    clock.advanceTo(IOVA_DEFAULT_FQ_TIMEOUT_NS);
    expect(r.events).toEqual([`timer@${IOVA_DEFAULT_FQ_TIMEOUT_NS}`, 'flush']);
    expect(r.released.sort()).toEqual([1, 2]);
    expect(fq.timerArmed).toBe(false);
  });

  it('never releases an entry queued after a flush started (counter >= finish count)', () => {
    const clock = new SimClock();
    const released: number[] = [];
    let fq: FlushQueues;
    const host: FlushQueueHost = {
      // While CPU 0's flush is in progress, CPU 1 queues an entry (a concurrent unmap).
      flushIotlbAll: () => {
        if (released.length === 0 && fq.pending === 255) fq.queueIova(1, 777, 1);
      },
      releaseEntry: (pfn) => released.push(pfn),
      runTimer: (_t, h) => h(),
    };
    fq = new FlushQueues(2, clock, host);
    for (let i = 0; i < 256; i++) fq.queueIova(0, 1000 + i, 1);
    expect(released).not.toContain(777);
    fq.queueIova(1, 778, 1); // CPU 1's ring frees only what a finished flush covered
    expect(released).not.toContain(777);
    clock.advanceTo(IOVA_DEFAULT_FQ_TIMEOUT_NS);
    expect(released).toContain(777);
  });

  it('single-queue variant: 32768 entries, 1000 ms', () => {
    const fq = new FlushQueues(4, new SimClock(), recorder().host, { singleQueue: true });
    expect(fq.queues.length).toBe(1);
    expect(fq.queues[0]!.size).toBe(IOVA_SINGLE_FQ_SIZE);
    expect(fq.timeoutNs).toBe(IOVA_SINGLE_FQ_TIMEOUT_NS);
  });
});
