// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { errorBrand, TypedError } from './index';

const A = errorBrand<AError>('@iofleet/errors/test/A');
class AError extends TypedError<'X' | 'Y'> {
  readonly [A.symbol] = true;
  override readonly name: string = 'AError';
}
const B = errorBrand<BError>('@iofleet/errors/test/B');
class BError extends AError {
  readonly [B.symbol] = true;
  override readonly name = 'BError';
}

describe('typed errors', () => {
  it('carry code, message and details, and default to no details', () => {
    const e = new AError('X', 'bad thing at 0x10', { addr: 16 });
    expect([e.code, e.message, e.name, e.details]).toEqual(['X', 'bad thing at 0x10', 'AError', { addr: 16 }]);
    expect(new AError('Y', 'm').details).toEqual({});
    expect(e).toBeInstanceOf(Error);
  });

  it('are recognised by their guard, subclasses too, but not other errors', () => {
    expect(A.is(new AError('X', 'm'))).toBe(true);
    expect(A.is(new BError('X', 'm'))).toBe(true);
    expect(B.is(new BError('X', 'm'))).toBe(true);
    expect(B.is(new AError('X', 'm'))).toBe(false);
    expect(A.is(new Error('m'))).toBe(false);
    expect(A.is(null)).toBe(false);
    expect(A.is('AError')).toBe(false);
  });

  it('are recognised across copies of a package: the brand is Symbol.for of the key, not the class', () => {
    const copy = errorBrand('@iofleet/errors/test/A');
    const fromOtherCopy = Object.assign(new Error('m'), { [Symbol.for('@iofleet/errors/test/A')]: true });
    expect(A.is(fromOtherCopy)).toBe(true);
    expect(copy.is(new AError('X', 'm'))).toBe(true);
  });
});
