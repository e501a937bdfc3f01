// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { isSdkError } from './errors';
import { optionInteger, readOptions } from './options';

const SPEC = {
  bs: { bytes: 4096, min: 512, max: 1 << 21, multipleOf: 512 },
  qd: { integer: 32, min: 1, max: 4096 },
  gbps: { number: 7, min: 0.1, max: 1000 },
  poll: { flag: false },
  rw: { oneOf: ['read', 'write'], default: 'read' },
} as const;

const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isSdkError(e) ? `${e.code} ${e.message} ${JSON.stringify(e.details)}` : `untyped ${String(e)}`;
  }
  return 'no error';
};

describe('readOptions', () => {
  it('gives every default when nothing is set, typed by the spec', () => {
    const o = readOptions('p', {}, SPEC);
    expect(o).toEqual({ bs: 4096, qd: 32, gbps: 7, poll: false, rw: 'read' });
    const rw: 'read' | 'write' = o.rw;
    expect(rw).toBe('read');
  });

  it('reads sizes, integers, numbers, flags and choices as given in YAML or on the command line', () => {
    expect(readOptions('p', { bs: '8k', qd: '64', gbps: 2.5, poll: 'true', rw: 'write' }, SPEC)).toEqual({
      bs: 8192,
      qd: 64,
      gbps: 2.5,
      poll: true,
      rw: 'write',
    });
  });

  it('refuses with a typed error naming the option: unknown, out of bounds, not an integer, not a multiple', () => {
    expect(message(() => readOptions('p', { bz: 1 }, SPEC))).toMatch(/^OPTION_INVALID plugin p: unknown option bz/);
    expect(message(() => readOptions('p', { qd: 0 }, SPEC))).toMatch(/^OPTION_INVALID option qd=0: expected a number/);
    expect(message(() => readOptions('p', { qd: 1.5 }, SPEC))).toBe(
      'OPTION_INVALID option qd=1.5: not an integer {"key":"qd"}',
    );
    expect(message(() => readOptions('p', { bs: 1000 }, SPEC))).toBe(
      'OPTION_INVALID option bs=1000: not a multiple of 512 {"key":"bs"}',
    );
    expect(message(() => readOptions('p', { rw: 'both' }, SPEC))).toMatch(
      /option rw=both: expected one of read, write/,
    );
  });

  it('optionInteger reads one whole number', () => {
    expect(optionInteger({ n: '3' }, 'n', 1, 0, 9)).toBe(3);
    expect(optionInteger({}, 'n', 1, 0, 9)).toBe(1);
    expect(() => optionInteger({ n: 2.5 }, 'n', 1, 0, 9)).toThrow(/n=2.5: not an integer/);
  });
});
