// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { ReadyOrderLink, SerialLink } from './serial-link';

describe('SerialLink', () => {
  it('queues transfers in issue order: each starts when ready and the one before has left', () => {
    const l = new SerialLink();
    expect(l.send(100, 50)).toBe(150); // idle link: starts when ready
    expect(l.send(120, 50)).toBe(200); // waits for the first to leave (150)
    expect(l.send(500, 10)).toBe(510); // the link was idle again by 500
    expect(l.send(0, 0)).toBe(510); // a zero-length transfer still waits its turn
  });

  it('reset() makes the link idle again', () => {
    const l = new SerialLink();
    l.send(0, 1_000);
    l.reset();
    expect(l.send(10, 5)).toBe(15);
  });
});

/** A small deterministic generator for the property tests (the SDK has no dependencies). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    return x / 2 ** 32;
  };
}

describe('ReadyOrderLink', () => {
  it("gives SerialLink's times when transfers become ready in issue order", () => {
    const rnd = lcg(7);
    const a = new SerialLink();
    const b = new ReadyOrderLink();
    let ready = 0;
    let now = 0;
    for (let k = 0; k < 5_000; k++) {
      now += rnd() * 50;
      ready = Math.max(ready, now) + rnd() * 80;
      const hold = rnd() < 0.1 ? 0 : rnd() * 60;
      expect(b.send(now, ready, hold)).toBe(a.send(ready, hold));
    }
  });

  it('lets a transfer that becomes ready earlier use the idle link before one placed later', () => {
    const l = new ReadyOrderLink();
    expect(l.send(0, 1_000, 100)).toBe(1_100); // issued first, ready at 1000
    expect(l.send(0, 200, 100)).toBe(300); // issued second, ready at 200: the link is idle then
    expect(l.send(0, 250, 100)).toBe(400); // waits for the one before (300), still fits before 1000
    // Ready at 950: the 50 ns before the placed transfer cannot hold it, so it goes after (1100).
    expect(l.send(0, 950, 100)).toBe(1_200);
    expect(l.send(0, 0, 100)).toBe(100); // the link is idle from 0 to 200
    expect(l.send(0, 0, 150)).toBe(550); // too long for 100..200: the first gap it fits is 400..1000
    expect(l.send(0, 0, 500)).toBe(1_700); // no gap of 500 left before the last transfer leaves (1200)
  });

  it('never overlaps two transfers, starts none before it is ready and leaves no gap a waiting one fits', () => {
    const rnd = lcg(11);
    const l = new ReadyOrderLink();
    const placed: { start: number; end: number; ready: number }[] = [];
    let now = 0;
    for (let k = 0; k < 3_000; k++) {
      now += rnd() * 40;
      const ready = now + 500 + rnd() * 400; // issued ahead of their media time, in any order
      const hold = 20 + rnd() * 30;
      const end = l.send(now, ready, hold);
      placed.push({ start: end - hold, end, ready });
      expect(end - hold).toBeGreaterThanOrEqual(ready - 1e-9);
    }
    placed.sort((x, y) => x.start - y.start);
    for (let k = 1; k < placed.length; k++) expect(placed[k]!.start).toBeGreaterThanOrEqual(placed[k - 1]!.end - 1e-9);
    // Work-conserving: a transfer that waited found no gap of its length between its ready time and its start.
    for (const t of placed) {
      if (t.start <= t.ready + 1e-9) continue;
      let free = t.ready;
      for (const o of placed) {
        if (o.end <= t.ready || o.start >= t.start) continue;
        expect(o.start - free).toBeLessThan(t.end - t.start + 1e-9);
        free = Math.max(free, o.end);
      }
    }
  });

  it('a transfer of no length waits for a gap but holds the link for nothing', () => {
    const l = new ReadyOrderLink();
    expect(l.send(0, 100, 50)).toBe(150);
    expect(l.send(0, 120, 0)).toBe(150); // ready inside a busy stretch: leaves when it ends
    expect(l.send(0, 5, 0)).toBe(5);
    expect(l.send(0, 0, 10)).toBe(10); // the zero-length transfer at 5 does not split the idle link
  });

  it("forgets the link's past: stretches that ended by the sender's clock no longer count", () => {
    const l = new ReadyOrderLink();
    l.send(0, 0, 100);
    l.send(150, 150, 10); // the sender is at 150: the stretch [0, 100) is forgotten
    expect(l.send(150, 50, 10)).toBe(60); // a transfer ready before the clock breaks the contract: nothing blocks it
  });

  it('reset() makes the link idle again', () => {
    const l = new ReadyOrderLink();
    l.send(0, 0, 1_000);
    l.reset();
    expect(l.send(0, 10, 5)).toBe(15);
  });
});
