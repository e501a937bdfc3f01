// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { flagOrEnvNumber, isOptionError, numberOption, numberParser, OptionError } from './index';

const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(isOptionError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('numberOption accepted the value');
};

describe('numberOption', () => {
  it('takes integers within the range, bounds included', () => {
    expect(numberOption('hosts', '1', { min: 1, max: 4096 })).toBe(1);
    expect(numberOption('hosts', '4096', { min: 1, max: 4096 })).toBe(4096);
    expect(numberOption('hosts', ' 12 ', { min: 1, max: 4096 })).toBe(12);
  });

  it('refuses what is out of range, not whole, or not a number, naming the option, the range and the value', () => {
    const r = { min: 1, max: 1_000_000 };
    expect(message(() => numberOption('hosts', '0', r))).toBe(
      "--hosts must be an integer from 1 to 1,000,000, got '0'",
    );
    expect(message(() => numberOption('hosts', '1000001', r))).toMatch(/from 1 to 1,000,000, got '1000001'$/);
    expect(message(() => numberOption('hosts', '2.5', r))).toMatch(/got '2.5'$/);
    expect(message(() => numberOption('hosts', 'ten', r))).toMatch(/got 'ten'$/);
    expect(message(() => numberOption('hosts', '1e400', r))).toMatch(/got '1e400'$/);
    expect(message(() => numberOption('hosts', '', r))).toBe("--hosts must be an integer from 1 to 1,000,000, got ''");
    expect(message(() => numberOption('hosts', undefined, r))).toMatch(/got ''$/);
  });

  it('takes fractions when asked, with an excluded lower bound and a unit', () => {
    const r = { min: 0, max: 300, integer: false, above: true, unit: 's' };
    expect(numberOption('seconds', '0.25', r)).toBe(0.25);
    expect(numberOption('seconds', '300', r)).toBe(300);
    expect(message(() => numberOption('seconds', '0', r))).toBe(
      "--seconds must be a number above 0 and at most 300 s, got '0'",
    );
    expect(message(() => numberOption('ratio', '-1', { min: 0, max: 1, integer: false }))).toBe(
      "--ratio must be a number from 0 to 1, got '-1'",
    );
    expect(message(() => numberOption('workers', '0', { min: 0, max: 64, above: true }))).toBe(
      "--workers must be an integer from 1 to 64, got '0'",
    );
  });

  it('without a max, bounds only below', () => {
    expect(numberOption('runs', '123456789', { min: 1 })).toBe(123456789);
    expect(message(() => numberOption('runs', '0', { min: 1 }))).toBe("--runs must be a positive integer, got '0'");
    expect(message(() => numberOption('seed', '-1', { min: 0 }))).toBe("--seed must be an integer >= 0, got '-1'");
    expect(message(() => numberOption('seconds', '0', { min: 0, above: true, integer: false }))).toBe(
      "--seconds must be a number above 0, got '0'",
    );
  });

  it('gives the fallback for a value not given (undefined or empty), and checks one that is', () => {
    expect(numberOption('drain-ms', undefined, { min: 0, max: 600_000 }, 10_000)).toBe(10_000);
    expect(numberOption('drain-ms', '', { min: 0, max: 600_000 }, 10_000)).toBe(10_000);
    expect(numberOption('drain-ms', '0', { min: 0, max: 600_000 }, 10_000)).toBe(0);
    expect(message(() => numberOption('drain-ms', '-5', { min: 0, max: 600_000 }, 10_000))).toMatch(/got '-5'$/);
  });

  it('is a typed error with the option and value as details; numberParser is the same check', () => {
    const e = (() => {
      try {
        return numberParser('agents', { min: 1, max: 64 })('65');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(OptionError);
    expect(e).toMatchObject({
      code: 'BAD_OPTION',
      option: 'agents',
      value: '65',
      details: { option: 'agents', value: '65' },
    });
    expect(numberParser('agents', { min: 1, max: 64 })('64')).toBe(64);
  });

  it('flagOrEnvNumber: the flag, else the environment variable, else the fallback; a bad variable is named', () => {
    const r = { min: 100, max: 3_600_000 };
    const env = { IOFLEET_LOCK_MS: '500' };
    expect(flagOrEnvNumber('lock-ms', '200', 'IOFLEET_LOCK_MS', r, 30_000, env)).toBe(200);
    expect(flagOrEnvNumber('lock-ms', undefined, 'IOFLEET_LOCK_MS', r, 30_000, env)).toBe(500);
    expect(flagOrEnvNumber('lock-ms', undefined, 'IOFLEET_LOCK_MS', r, 30_000, {})).toBe(30_000);
    expect(message(() => flagOrEnvNumber('lock-ms', '99', 'IOFLEET_LOCK_MS', r, 30_000, env))).toBe(
      "--lock-ms must be an integer from 100 to 3,600,000, got '99'",
    );
    expect(
      message(() => flagOrEnvNumber('lock-ms', undefined, 'IOFLEET_LOCK_MS', r, 30_000, { IOFLEET_LOCK_MS: 'x' })),
    ).toBe("IOFLEET_LOCK_MS (for --lock-ms) must be an integer from 100 to 3,600,000, got 'x'");
  });
});
