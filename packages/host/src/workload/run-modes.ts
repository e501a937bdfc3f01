// SPDX-License-Identifier: Apache-2.0
// The run modes of `iofleet host run` and what each appends to the kernel command line. A leaf
// module with no imports, exported as `@iofleet/host/run-modes` so a command line can describe the
// modes without loading the host model.

/** How a VM's guest uses a device: assigned through VFIO, or emulated by the hypervisor (../vm/guest-device.ts). */
export type GuestDeviceModel = 'vfio' | 'emulated' | 'viommu' | 'viommu-lazy' | 'viommu-bounce';
export const GUEST_DEVICE_MODELS: readonly GuestDeviceModel[] = [
  'vfio',
  'emulated',
  'viommu',
  'viommu-lazy',
  'viommu-bounce',
];

/**
 * Host modes (the device driven by the host kernel) and guest modes (the device used by a VM:
 * assigned through VFIO, or emulated by the hypervisor; see ../vm/guest-device.ts).
 */
export type RunMode = 'pt' | 'lazy' | 'strict' | 'off' | 'nosp' | 'bounce' | 'booted' | GuestDeviceModel;
export const RUN_MODES: readonly RunMode[] = [
  'pt',
  'lazy',
  'strict',
  'off',
  'nosp',
  'bounce',
  'booted',
  ...GUEST_DEVICE_MODELS,
];
/** vCPUs of the guest in guest modes. */
export const GUEST_VCPUS = 8;

/** The command line each mode appends (intel_iommu=on so a distro that leaves VT-d off still translates). */
export const MODE_CMDLINE: Readonly<Record<RunMode, string>> = {
  pt: 'intel_iommu=on iommu=pt',
  lazy: 'intel_iommu=on iommu=nopt iommu.strict=0',
  strict: 'intel_iommu=on iommu=nopt iommu.strict=1',
  off: 'iommu=off',
  /**
   * Translated (lazy) with IOMMU superpages off: every IOMMU mapping in 4 KiB pages, so IOTLB
   * reach is entries x 4 KiB (pcie-bench's "iommu-nosp" runs, R30/R34). sp_off is VT-d only.
   */
  nosp: 'intel_iommu=on,sp_off iommu=nopt iommu.strict=0',
  /** A confidential VM's DMA: no IOMMU, every mapping bounced through swiotlb. */
  bounce: 'iommu=off swiotlb=force',
  /** The host as its own command line, Kconfig and distribution configure it. */
  booted: '',
  vfio: 'intel_iommu=on',
  emulated: 'intel_iommu=on',
  viommu: 'intel_iommu=on',
  'viommu-lazy': 'intel_iommu=on',
  'viommu-bounce': 'intel_iommu=on',
};

/**
 * The same modes on an arm64 kernel, which has no intel_iommu= and no iommu= (both are x86's):
 * iommu.passthrough= and iommu.strict= choose the default domain (drivers/iommu/iommu.c). `off`,
 * `nosp` and `bounce` have no arm64 command line (an Arm machine without an SMMU is one whose IORT
 * has no SMMUv3 node; sp_off is VT-d's): null.
 */
export const ARM_MODE_CMDLINE: Readonly<Record<RunMode, string | null>> = {
  pt: 'iommu.passthrough=1',
  lazy: 'iommu.passthrough=0 iommu.strict=0',
  strict: 'iommu.passthrough=0 iommu.strict=1',
  off: null,
  nosp: null,
  bounce: null,
  booted: '',
  vfio: '',
  emulated: '',
  viommu: '',
  'viommu-lazy': '',
  'viommu-bounce': '',
};

/** Simulated time per mode when none is given, ms. */
export const DEFAULT_RUN_MS = 20;
/** Bound on simulated time per mode, ms. */
export const MAX_RUN_MS = 10_000;
