// SPDX-License-Identifier: Apache-2.0
// @iofleet/core/linux: the Linux IOMMU/DMA layer on the hardware units — the IOMMU API on a unit
// (domains, attach), dma-direct, dma-iommu and its cookie, swiotlb, the DMA simulator, default
// domain policy, IOMMU groups, the kernel command line, distributions and VFIO. Every export named.

export { DirectDmaOps } from '../dma/dma-direct';
export { IommuDmaOps } from '../dma/dma-iommu';
export { DMA_LOG_MAX_LINES, DmaSim, type DmaSimOptions } from '../dma/dma-sim';
export {
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_MAPPING_ERROR,
  DMA_TO_DEVICE,
  type DmaDeviceInfo,
  type DmaDirection,
  type DmaOps,
  dmaDevice,
  type ScatterEntry,
  scatterEntry,
} from '../dma/dma-types';
export {
  IommuDmaCookie,
  type IommuDmaCookieOptions,
  type IommuDmaMode,
  X86_MSI_RESERVED,
} from '../dma/iommu-dma-cookie';
export { IO_TLB_DEFAULT_SIZE, type SwiotlbOptions, SwiotlbPool } from '../dma/swiotlb';
export { ARM64_UPSTREAM_KCONFIG, armSmmuDefDomainType, SMMU_LINUX_VERSION } from './arm-smmu-policy';
export {
  type DeviceFacts,
  type DomainTypeName,
  type DriverDecision,
  domainTypeStr,
  domainTypeSysfs,
  driverEnabled,
  type FirmwareFacts,
  type GlobalDefault,
  globalDefaultDomain,
  groupDefaultDomain,
  groupDomainRequest,
  IOMMU_DOMAIN_BLOCKED,
  IOMMU_DOMAIN_DMA,
  IOMMU_DOMAIN_DMA_API,
  IOMMU_DOMAIN_DMA_FQ,
  IOMMU_DOMAIN_DMA_FQ_FLAG,
  IOMMU_DOMAIN_IDENTITY,
  IOMMU_DOMAIN_PAGING,
  IOMMU_DOMAIN_PT,
  IOMMU_DOMAIN_UNMANAGED,
  type IommuKconfig,
  type IommuVendor,
  intelCachingMode,
  type PlatformFacts,
  setDefaultPassthrough,
  setDmaStrict,
  UPSTREAM_KCONFIG,
} from './default-domain';
export { type DistroPreset, getDistro, listDistros } from './distro';
export { type AttachTarget, type IommuUnit, unitAttachDevice, unitCreateDomain, unitFreeDomain } from './iommu-api';
export {
  formIommuGroups,
  type GroupResult,
  PCI_ACS,
  type PciDev,
  type PciType,
} from './iommu-groups';
export { type IommuCmdline, parseIommuCmdline } from './kernel-cmdline';
export {
  isVfioError,
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_WRITE,
  VfioContainer,
  type VfioDevice,
  VfioError,
  type VfioErrorCode,
  type VfioGroupInfo,
} from './vfio';
