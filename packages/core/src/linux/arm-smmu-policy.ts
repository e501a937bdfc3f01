// SPDX-License-Identifier: Apache-2.0
// Linux policy that is particular to arm64 and the arm-smmu-v3 driver, for the host to combine with
// the vendor-neutral default-domain logic (linux/default-domain.ts):
//  - drivers/iommu/Kconfig: the default domain choice is IOMMU_DEFAULT_DMA_LAZY only on x86 and
//    s390; arm64 defaults to IOMMU_DEFAULT_DMA_STRICT (facts sheet §4.2). Distributions change it:
//    NVIDIA's Grace kernels set LAZY (linux/distro.ts, preset nvidia-grace).
//  - arm_smmu_def_domain_type(): identity for HiSilicon's PCIe tracer (PTT, 19e5:a12e), whose
//    trace DMA must bypass translation; no preference for any other device.
//  - There is no x86 `iommu=pt`: arm64 uses iommu.passthrough= (linux/kernel-cmdline.ts parses both).

import { IOMMU_DOMAIN_IDENTITY, type IommuKconfig, UPSTREAM_KCONFIG } from './default-domain';

/** The kernel whose arm-smmu-v3 behaviour the model follows (event lines: arm_smmu_dump_event()). */
export const SMMU_LINUX_VERSION = 'Linux v6.15+ drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c';

/** Upstream arm64 Kconfig: strict DMA domains by default (drivers/iommu/Kconfig, IOMMU_DEFAULT_DMA_STRICT). */
export const ARM64_UPSTREAM_KCONFIG: IommuKconfig = { ...UPSTREAM_KCONFIG, defaultDomain: 'strict' };

const PCI_VENDOR_ID_HUAWEI = 0x19e5;
const HISI_PTT_DEVICE = 0xa12e;

/** arm_smmu_def_domain_type(): the type the driver asks for a PCI device (0: no preference). */
export function armSmmuDefDomainType(pci: { vendor: number; device: number } | undefined): number {
  if (pci !== undefined && pci.vendor === PCI_VENDOR_ID_HUAWEI && pci.device === HISI_PTT_DEVICE)
    return IOMMU_DOMAIN_IDENTITY;
  return 0;
}
