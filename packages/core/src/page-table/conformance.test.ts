// SPDX-License-Identifier: Apache-2.0
// Runs the conformance suite against every format at every width, mode and page-size option.

import { runPageTableConformance } from '../testing/page-table-conformance';
import { amdV1Format } from './amd-v1';
import { mockFormat } from './mock-format';
import { vtdFirstStageFormat } from './vtd-first-stage';
import { vtdSecondStageFormat } from './vtd-second-stage';

const ALL_SUPERPAGES = { '2M': true, '1G': true };

for (const widthBits of [39, 48, 57] as const) {
  runPageTableConformance(`vtd-ss-${widthBits}`, () => vtdSecondStageFormat({ widthBits, superpages: ALL_SUPERPAGES }));
}
runPageTableConformance('vtd-ss-48 without superpages', () =>
  vtdSecondStageFormat({ widthBits: 48, superpages: { '2M': false, '1G': false } }),
);
runPageTableConformance('vtd-ss-48 snoop, 2M only', () =>
  vtdSecondStageFormat({ widthBits: 48, superpages: { '2M': true, '1G': false }, snoop: true }),
);
for (const levels of [4, 5] as const) {
  runPageTableConformance(`vtd-fs-${levels}`, () => vtdFirstStageFormat({ levels, pages1G: true }));
}
runPageTableConformance('vtd-fs-4 without 1G pages', () => vtdFirstStageFormat({ levels: 4 }));
for (let mode = 1; mode <= 6; mode++) runPageTableConformance(`amd-v1-mode${mode}`, () => amdV1Format({ mode }));
runPageTableConformance('amd-v1-mode3 4k-2m-1g', () => amdV1Format({ mode: 3, pageSizes: '4k-2m-1g' }));
runPageTableConformance('amd-v1-mode4 4k', () => amdV1Format({ mode: 4, pageSizes: '4k' }));
runPageTableConformance('mock-3', () => mockFormat());
