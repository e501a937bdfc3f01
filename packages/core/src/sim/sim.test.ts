// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { SimClock } from './sim-clock';
import { SimCpuSet } from './sim-cpu';
import { SimLock } from './sim-lock';

describe('SimClock', () => {
  it('fires timers in deadline order only when simulated time passes them', () => {
    const clock = new SimClock();
    const fired: string[] = [];
    clock.schedule(300, (t) => fired.push(`c@${t}`));
    clock.schedule(100, (t) => fired.push(`a@${t}`));
    clock.schedule(100, (t) => fired.push(`b@${t}`));
    const cancelled = clock.schedule(200, () => fired.push('cancelled'));
    clock.cancel(cancelled);
    clock.advanceTo(99);
    expect(fired).toEqual([]);
    clock.advanceTo(250);
    expect(fired).toEqual(['a@100', 'b@100']);
    expect(clock.nowNs).toBe(250);
    clock.advanceBy(50);
    expect(fired).toEqual(['a@100', 'b@100', 'c@300']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('lets a timer re-arm itself and rejects deadlines in the past', () => {
    const clock = new SimClock();
    let n = 0;
    const tick = () => {
      n++;
      clock.scheduleIn(10, tick);
    };
    clock.scheduleIn(10, tick);
    clock.advanceTo(55);
    expect(n).toBe(5);
    expect(() => clock.schedule(1, () => {})).toThrow(/before now/);
  });
});

describe('SimCpuSet', () => {
  it('beginCall advances the clock to the current CPU and firing timers first', () => {
    const clock = new SimClock();
    const cpus = new SimCpuSet(clock, 2);
    let firedAt = -1;
    clock.schedule(500, (t) => {
      firedAt = t;
    });
    cpus.runOn(1).charge(700);
    cpus.beginCall();
    expect(firedAt).toBe(500);
    expect(clock.nowNs).toBe(700);
    // CPU 0 lags the clock: it is brought up to the timer that fired (that happened), not to the
    // clock — CPU 1's call at 700 ran concurrently with it — and the clock does not go back.
    const c0 = cpus.runOn(0);
    cpus.beginCall();
    expect(c0.nowNs).toBe(500);
    expect(clock.nowNs).toBe(700);
    expect(cpus.earliest().id).toBe(0);
  });

  it('a CPU behind the clock with no timer fired since keeps its own time (CPUs run concurrently)', () => {
    const clock = new SimClock();
    const cpus = new SimCpuSet(clock, 2);
    cpus.runOn(1).charge(700);
    cpus.beginCall();
    const c0 = cpus.runOn(0);
    c0.charge(100);
    cpus.beginCall();
    expect(c0.nowNs).toBe(100);
    expect(clock.nowNs).toBe(700);
  });
});

describe('SimLock', () => {
  it('serialises holders: a waiter pays the remaining hold time of the holder before it', () => {
    const clock = new SimClock();
    const cpus = new SimCpuSet(clock, 3);
    const lock = new SimLock('test');
    const [a, b, c] = cpus.cpus;
    a!.nowNs = 1000;
    b!.nowNs = 1100;
    c!.nowNs = 5000;
    expect(lock.acquire(a!, 400)).toBe(0);
    expect(a!.nowNs).toBe(1400);
    expect(lock.acquire(b!, 400)).toBe(300); // arrives at 1100, lock free at 1400
    expect(b!.nowNs).toBe(1800);
    expect(b!.busyNs).toBe(700);
    expect(lock.acquire(c!, 400)).toBe(0); // lock long free
    expect(lock.contended).toBe(1);
    expect(lock.totalWaitNs).toBe(300);
  });
});
