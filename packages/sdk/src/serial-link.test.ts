// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { SerialLink } from './serial-link';

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
