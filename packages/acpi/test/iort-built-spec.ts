// SPDX-License-Identifier: Apache-2.0
// The platform description behind test/fixtures/built/iofleet-arm-2s.IORT.dat (regenerate:
// fixtures/built/README.md), shared by src/iort/build.test.ts.
import type { IortSpec } from '../src/index';

/** A two-socket Arm server; test/fixtures/built/iofleet-arm-2s.IORT.dat holds its bytes, read by iasl. */
export const ARM_2S: IortSpec = {
  itsGroups: [[0], [1]],
  smmus: [
    { base: 0x1000_0000n, proximityDomain: 0 },
    { base: 0x2000_0000n, itsGroup: 1, proximityDomain: 1 },
  ],
  rootComplexes: [
    {
      segment: 0,
      ats: true,
      memoryAddressSizeLimit: 48,
      ranges: [
        { first: 0x0000, last: 0x7fff, smmu: 0 },
        { first: 0x8000, last: 0xffff },
      ],
    },
    { segment: 1, ats: true, ranges: [{ first: 0x0000, last: 0xffff, smmu: 1, streamIdBase: 0x10000, itsGroup: 1 }] },
  ],
  rmrs: [{ smmu: 0, streamIds: [0x100, 0x101], regions: [{ base: 0x8000_0000n, length: 0x20_0000n }] }],
};
