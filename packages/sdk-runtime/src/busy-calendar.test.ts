// SPDX-License-Identifier: Apache-2.0
// The DMA path as independent requests book it (busy-calendar.ts): one transfer at a time, in
// the earliest gap at or after the moment a transfer is ready.
import { describe, expect, it } from 'vitest';
import { BUSY_CALENDAR_MAX_INTERVALS, BusyCalendar } from './busy-calendar';

describe('BusyCalendar (a one-at-a-time resource booked out of time order)', () => {
  it('serves transfers ready together one after another', () => {
    const c = new BusyCalendar();
    expect([c.book(0, 10), c.book(0, 10), c.book(0, 10)]).toEqual([10, 20, 30]);
    expect(c.intervals).toBe(1); // touching bookings merge
  });

  it('lets a transfer ready earlier use the gap before a later booking, not wait behind it', () => {
    const c = new BusyCalendar();
    expect(c.book(300, 10)).toBe(310); // a request whose page walk ended at 300
    expect(c.book(5, 10)).toBe(15); // a later request that hit the IOTLB: ready at 5
    expect(c.book(295, 10)).toBe(320); // no room before 300: after the booking
    expect(c.book(15, 300)).toBe(620); // too long for the gap 15..300: after the booking ending at 320
  });

  it('forgets old bookings and stays bounded', () => {
    const c = new BusyCalendar();
    for (let i = 0; i < 3 * BUSY_CALENDAR_MAX_INTERVALS; i++) c.book(i * 100, 1);
    expect(c.intervals).toBeLessThanOrEqual(BUSY_CALENDAR_MAX_INTERVALS);
    c.forgetBefore(1e12);
    expect(c.intervals).toBe(0);
    expect(c.book(7, 0)).toBe(7);
  });
});
