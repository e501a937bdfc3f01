// SPDX-License-Identifier: Apache-2.0
// Distribution presets: the IOMMU-relevant Kconfig of common distribution kernels. Most rows are
// NOT verified from the distributions' config files (facts sheet §5.2): `verified` says which, and
// `source` says where each row comes from. Check /boot/config-$(uname -r) on a real machine.

import { CoreError } from '../errors';
import { type IommuKconfig, UPSTREAM_KCONFIG } from './default-domain';

export interface DistroPreset {
  name: string;
  title: string;
  kconfig: IommuKconfig;
  /** The options this preset sets itself (the rest are upstream's defaults for the architecture). */
  sets: readonly (keyof IommuKconfig)[];
  /** Command-line IOMMU options the distribution adds by default (usually none). */
  cmdline: string;
  source: string;
  verified: boolean;
}

const P = (name: string, title: string, k: Partial<IommuKconfig>, source: string, verified = false): DistroPreset => ({
  name,
  title,
  kconfig: { ...UPSTREAM_KCONFIG, ...k },
  sets: Object.keys(k) as (keyof IommuKconfig)[],
  cmdline: '',
  source,
  verified,
});

const UNVERIFIED_OFF =
  'UNVERIFIED: guides for this release tell users to add intel_iommu=on (facts sheet §5.2); AMD-Vi is on whenever IVRS exists';

export const DISTRO_PRESETS: readonly DistroPreset[] = [
  P(
    'upstream',
    'Upstream defconfig (x86)',
    {},
    'drivers/iommu/Kconfig (IOMMU_DEFAULT_DMA_LAZY on x86), drivers/iommu/intel/Kconfig (INTEL_IOMMU_DEFAULT_ON=y)',
    true,
  ),
  P('rhel8', 'Red Hat Enterprise Linux 8', { intelIommuDefaultOn: false }, UNVERIFIED_OFF),
  P('rhel9', 'Red Hat Enterprise Linux 9', { intelIommuDefaultOn: false }, UNVERIFIED_OFF),
  P('sles15', 'SUSE Linux Enterprise Server 15', { intelIommuDefaultOn: false }, UNVERIFIED_OFF),
  P('ubuntu2004', 'Ubuntu 20.04 LTS', { intelIommuDefaultOn: false }, UNVERIFIED_OFF),
  P('ubuntu2204', 'Ubuntu 22.04 LTS', { intelIommuDefaultOn: false }, UNVERIFIED_OFF),
  P(
    'debian',
    'Debian (2017 config)',
    { intelIommuDefaultOn: false },
    'void-packages PR #7139 comment ("Also off on Debian"), 2017; newer releases UNVERIFIED',
    true,
  ),
  P(
    'arch',
    'Arch Linux (2017 config)',
    { intelIommuDefaultOn: false },
    'void-packages PR #7139 comment citing the Arch config, 2017',
    true,
  ),
  P('void', 'Void Linux (2017 config)', { intelIommuDefaultOn: true }, 'void-packages PR #7139, 2017', true),
  P(
    'oracle-uek5',
    'Oracle UEK R5U1+',
    { intelIommuDefaultOn: true },
    'docs.oracle.com UEK 5.2 release notes (on by default on x86_64)',
    true,
  ),
  P(
    'nvidia-grace',
    'NVIDIA Ubuntu kernels for Grace (2025)',
    { defaultDomain: 'lazy' },
    'NVIDIA/NV-Kernels PR #182-#184 (CONFIG_IOMMU_DEFAULT_DMA_LAZY)',
    true,
  ),
];

export function listDistros(): readonly DistroPreset[] {
  return DISTRO_PRESETS;
}

export function getDistro(name: string): DistroPreset {
  const d = DISTRO_PRESETS.find((p) => p.name === name);
  if (!d) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `unknown distribution '${name}' (known: ${DISTRO_PRESETS.map((p) => p.name).join(', ')})`,
      { name },
    );
  }
  return d;
}
