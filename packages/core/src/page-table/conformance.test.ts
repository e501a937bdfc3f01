// SPDX-License-Identifier: Apache-2.0
// Runs the conformance suite against every format at every width, mode and page-size option.

import { mockFormat } from '../testing/mock-format';
import { runPageTableConformance } from '../testing/page-table-conformance';
import { amdV1Format } from './amd-v1';
import { armVmsav8Format } from './arm-vmsav8';
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
  vtdSecondStageFormat({
    widthBits: 48,
    superpages: { '2M': true, '1G': false },
    snoopControl: true,
    forceSnooping: true,
  }),
);
for (const levels of [4, 5] as const) {
  runPageTableConformance(`vtd-fs-${levels}`, () => vtdFirstStageFormat({ levels, pages1G: true }));
}
runPageTableConformance('vtd-fs-4 without 1G pages', () => vtdFirstStageFormat({ levels: 4 }));
for (let mode = 1; mode <= 6; mode++) runPageTableConformance(`amd-v1-mode${mode}`, () => amdV1Format({ mode }));
runPageTableConformance('amd-v1-mode3 4k-2m-1g', () => amdV1Format({ mode: 3, pageSizes: '4k-2m-1g' }));
runPageTableConformance('amd-v1-mode4 4k', () => amdV1Format({ mode: 4, pageSizes: '4k' }));
runPageTableConformance('mock-3', () => mockFormat());

// Arm VMSAv8-64: every granule at stage 1 and stage 2, the start levels Linux picks for 48-bit
// VAs and common IPA sizes, concatenated stage-2 roots, the 52-bit 64 KiB output (4 TiB blocks).
for (const granule of ['4K', '16K', '64K'] as const) {
  for (const stage of [1, 2] as const) {
    runPageTableConformance(`arm-s${stage}-${granule} 48-bit`, () =>
      armVmsav8Format({ stage, granule, inputBits: 48 }),
    );
  }
}
runPageTableConformance('arm-s1-4k-39 (3 levels)', () => armVmsav8Format({ stage: 1, granule: '4K', inputBits: 39 }));
runPageTableConformance('arm-s2-4k-40 (two concatenated level-1 tables)', () =>
  armVmsav8Format({ stage: 2, granule: '4K', inputBits: 40, outputBits: 44 }),
);
runPageTableConformance('arm-s2-16k-44 (3 levels)', () => armVmsav8Format({ stage: 2, granule: '16K', inputBits: 44 }));
runPageTableConformance('arm-s1-64k-52 with a 52-bit OA (4 TiB blocks)', () =>
  armVmsav8Format({ stage: 1, granule: '64K', inputBits: 52, outputBits: 52 }),
);
runPageTableConformance('arm-s1-4k-48 pages only, non-coherent', () =>
  armVmsav8Format({ stage: 1, granule: '4K', inputBits: 48, blocks: false, coherent: false }),
);
