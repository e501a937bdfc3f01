// SPDX-License-Identifier: Apache-2.0
// The contract's own range check against node-semver (a devDependency only): every range of the
// forms plugins write, and the edge cases of the desugaring (caret on 0.x, partials, hyphens,
// pre-releases), over versions around each bound.
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { parseVersion, satisfies, validRange } from './semver-range';

const VERSIONS = [
  '0.0.0',
  '0.0.1',
  '0.0.2',
  '0.1.0',
  '0.1.3',
  '0.2.0',
  '0.2.0-alpha.1',
  '0.2.0-0',
  '0.2.1',
  '0.3.0',
  '0.3.0-rc.1',
  '1.0.0',
  '1.2.2',
  '1.2.3',
  '1.2.3-beta',
  '1.2.3-beta.2',
  '1.2.3-beta.11',
  '1.2.4',
  '1.3.0',
  '1.3.0-0',
  '2.0.0',
  '2.0.0-alpha',
  '2.3.4',
  '2.3.5',
  '2.4.0',
  '10.0.0',
];

const RANGES = [
  '*',
  '',
  'x',
  '1',
  '1.x',
  '1.2',
  '1.2.x',
  '1.2.3',
  '=1.2.3',
  'v1.2.3',
  '^0.2.0',
  '^0.2',
  '^0.0.1',
  '^0.0',
  '^0',
  '^1.2.3',
  '^1.2',
  '^1',
  '^1.2.3-beta.2',
  '~1.2.3',
  '~1.2',
  '~1',
  '~0.2.0',
  '>1.2.3',
  '>1.2',
  '>1',
  '>=1.2.3',
  '>=1.2',
  '>= 0.2.0',
  '<1.2.3',
  '<1.2',
  '<=1.2.3',
  '<=1.2',
  '<=1',
  '>=0.1.0 <0.3.0',
  '>=1.2.3-beta <1.3.0',
  '1.2 - 2.3.4',
  '1.2.3 - 2.3',
  '1 - 2',
  '^0.1.0 || ^0.2.0',
  '<1.0.0 || >=2.0.0',
  '>*',
  '<*',
];

describe('semver ranges', () => {
  it('answers as node-semver does for every range and version', () => {
    const wrong: string[] = [];
    for (const r of RANGES)
      for (const v of VERSIONS)
        if (satisfies(v, r) !== semver.satisfies(v, r))
          wrong.push(`${v} in "${r}": node-semver ${semver.satisfies(v, r)}`);
    expect(wrong).toEqual([]);
  });

  it('refuses what is not a range, as node-semver does', () => {
    for (const r of ['abc', '^', '1.2.3.4', '>>1', '^a.b', '1.2.3 -', '01.2.3', '1.2.3 || ~x.y.q'])
      expect([r, validRange(r)]).toEqual([r, semver.validRange(r) !== null]);
    for (const r of RANGES) expect([r, validRange(r)]).toEqual([r, true]);
  });

  it('reads versions with pre-release and build parts', () => {
    expect(parseVersion('1.2.3-beta.11+build.5')).toEqual({ major: 1, minor: 2, patch: 3, pre: ['beta', 11] });
    expect(parseVersion('1.2')).toBeNull();
    expect(satisfies('not-a-version', '*')).toBe(false);
  });
});
