// SPDX-License-Identifier: Apache-2.0

import { describe, expect, it } from 'vitest';
import { CALIBRATION_TOLERANCE, rowHolds } from './calibrate';

describe('the calibration tolerance', () => {
  it('is one 25 % bound for every row, with the modes in the right order', () => {
    expect(CALIBRATION_TOLERANCE).toBe(0.25);
    expect(rowHolds({ relativeError: 0.25, orderRight: true })).toBe(true);
    expect(rowHolds({ relativeError: 0.2501, orderRight: true })).toBe(false);
    expect(rowHolds({ relativeError: 0, orderRight: false })).toBe(false);
  });
});
