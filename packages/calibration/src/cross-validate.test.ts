// SPDX-License-Identifier: Apache-2.0

import { getCostProfile } from '@iofleet/core/cost';
import { describe, expect, it } from 'vitest';
import { MOVE, moveParameters, parametersFrom, publicationOf, rowSource } from './cross-validate';

describe('leave-one-source-out', () => {
  it("takes a row's source from its id and leaves out everything published with it", () => {
    expect(rowSource('R02-strict-pt')).toBe('R02');
    expect(rowSource('U06')).toBe('U06');
    expect(rowSource('R2D2')).toBeNull();
    expect(rowSource('mine')).toBeNull();
    expect(publicationOf('R16')).toEqual(['R16', 'U06']);
    expect(publicationOf('R34')).toEqual(['R30', 'R34']);
    expect(publicationOf('R02')).toEqual(['R02']);
    expect(publicationOf('R08')).toEqual(['R08', 'U12']); // U12 is R08's strict run, traced
  });

  it('finds the parameters set from a source and moves only those', () => {
    const bdw = getCostProfile('intel-broadwell-ep');
    expect(parametersFrom(bdw, ['R30', 'R34']).sort()).toEqual(['contextCacheMiss', 'pageWalkers', 'walkMemRead']);
    expect(parametersFrom(getCostProfile('intel-icelake-sp'), ['R02']).sort()).toEqual([
      'dmaDirectMap',
      'dmaDirectUnmap',
      'dmaIommuMapOverhead',
      'dmaIommuUnmapOverhead',
    ]);
    expect(parametersFrom(bdw, ['R06'])).toEqual([]);
    expect(parametersFrom(getCostProfile('arm-neoverse-grace'), publicationOf('R08'))).toEqual(['invTlbiSync']);
    const moved = moveParameters(bdw, ['walkMemRead', 'pageWalkers']);
    expect(moved.params.walkMemRead.value).toBeCloseTo(290 * MOVE, 9);
    expect(moved.params.pageWalkers.value).toBe(7); // a count moves by at least one
    expect(moved.params.dmaBase).toEqual(bdw.params.dmaBase);
    expect(bdw.params.walkMemRead.value).toBe(290); // the profile itself is untouched
  });
});
