// SPDX-License-Identifier: Apache-2.0
// The default IOMMU domain, as Linux chooses it: the Kconfig defaults (drivers/iommu/Kconfig,
// drivers/iommu/intel/Kconfig), the command line (kernel-cmdline.ts), iommu_subsys_init() for the
// global type and its log lines, the driver deciding whether DMA remapping runs at all
// (intel_iommu_init / dmar_disabled; AMD whenever an IVRS exists), and per device
// iommu_get_default_domain_type(): untrusted devices always get DMA (strict, with bouncing), and a
// driver's def_domain_type hook may ask for a type (Intel: no ECAP.PT -> DMA; AMD: PASID-capable
// devices -> IDENTITY unless memory encryption).

import type { IommuCmdline } from './kernel-cmdline';

/** include/linux/iommu.h flag bits and domain types. */
export const IOMMU_DOMAIN_PAGING = 1 << 0;
export const IOMMU_DOMAIN_DMA_API = 1 << 1;
export const IOMMU_DOMAIN_PT = 1 << 2;
export const IOMMU_DOMAIN_DMA_FQ_FLAG = 1 << 3;
export const IOMMU_DOMAIN_BLOCKED = 0;
export const IOMMU_DOMAIN_IDENTITY = IOMMU_DOMAIN_PT;
export const IOMMU_DOMAIN_UNMANAGED = IOMMU_DOMAIN_PAGING;
export const IOMMU_DOMAIN_DMA = IOMMU_DOMAIN_PAGING | IOMMU_DOMAIN_DMA_API;
export const IOMMU_DOMAIN_DMA_FQ = IOMMU_DOMAIN_PAGING | IOMMU_DOMAIN_DMA_API | IOMMU_DOMAIN_DMA_FQ_FLAG;

export type DomainTypeName = 'blocked' | 'identity' | 'unmanaged' | 'DMA' | 'DMA-FQ';

/** The string /sys/kernel/iommu_groups/N/type reads. */
export function domainTypeSysfs(t: number): DomainTypeName {
  switch (t) {
    case IOMMU_DOMAIN_IDENTITY:
      return 'identity';
    case IOMMU_DOMAIN_UNMANAGED:
      return 'unmanaged';
    case IOMMU_DOMAIN_DMA:
      return 'DMA';
    case IOMMU_DOMAIN_DMA_FQ:
      return 'DMA-FQ';
    default:
      return 'blocked';
  }
}

/** iommu_domain_type_str() */
export function domainTypeStr(t: number): string {
  if (t === IOMMU_DOMAIN_IDENTITY) return 'Passthrough';
  if (t === IOMMU_DOMAIN_UNMANAGED) return 'Unmanaged';
  if (t === IOMMU_DOMAIN_DMA || t === IOMMU_DOMAIN_DMA_FQ) return 'Translated';
  return 'Blocked';
}

export interface IommuKconfig {
  /** choice IOMMU_DEFAULT_DMA_STRICT / _DMA_LAZY / _PASSTHROUGH (x86 upstream default: lazy). */
  defaultDomain: 'strict' | 'lazy' | 'passthrough';
  /** INTEL_IOMMU_DEFAULT_ON (upstream default y). */
  intelIommuDefaultOn: boolean;
  /** INTEL_IOMMU_SCALABLE_MODE_DEFAULT_ON (upstream default n). */
  intelScalableModeDefaultOn: boolean;
}

export const UPSTREAM_KCONFIG: IommuKconfig = {
  defaultDomain: 'lazy',
  intelIommuDefaultOn: true,
  intelScalableModeDefaultOn: false,
};

export interface GlobalDefault {
  /** iommu_def_domain_type */
  type: number;
  strict: boolean;
  /** Lines iommu_subsys_init() prints. */
  log: string[];
}

export interface PlatformFacts {
  /** cc_platform_has(CC_ATTR_MEM_ENCRYPT): SME/SEV/TDX. */
  memoryEncryption: boolean;
  /** Kernel version [major, minor]; the log format changed in 5.14. Default [6, 8]. */
  kernelVersion?: readonly [number, number];
}

/** iommu_subsys_init(): the global default domain type and its log lines. */
export function globalDefaultDomain(cmd: IommuCmdline, k: IommuKconfig, p: PlatformFacts): GlobalDefault {
  const log: string[] = [];
  const fromCmdline = cmd.passthrough !== undefined;
  let passthrough = cmd.passthrough ?? k.defaultDomain === 'passthrough';
  if (!fromCmdline && passthrough && p.memoryEncryption) {
    log.push('iommu: Memory encryption detected - Disabling default IOMMU Passthrough');
    passthrough = false;
  }
  // iommu_dma_strict starts at IS_ENABLED(CONFIG_IOMMU_DEFAULT_DMA_STRICT); the cmdline overrides.
  const strict = cmd.strict ?? k.defaultDomain === 'strict';
  const type = passthrough ? IOMMU_DOMAIN_IDENTITY : strict ? IOMMU_DOMAIN_DMA : IOMMU_DOMAIN_DMA_FQ;
  const [maj, min] = p.kernelVersion ?? [6, 8];
  const modern = maj > 5 || (maj === 5 && min >= 14);
  const via = ' (set via kernel command line)';
  if (modern) {
    log.push(`iommu: Default domain type: ${domainTypeStr(type)}${fromCmdline ? via : ''}`);
    if (!passthrough) {
      log.push(
        `iommu: DMA domain TLB invalidation policy: ${strict ? 'strict' : 'lazy'} mode${cmd.strictFromCmdline ? via : ''}`,
      );
    }
  } else {
    // Before 5.14: "Default domain type: %s %s\n" (hence the trailing space seen in real logs).
    log.push(`iommu: Default domain type: ${domainTypeStr(type)} ${fromCmdline ? via.trim() : ''}`);
  }
  return { type, strict, log };
}

export type IommuVendor = 'intel' | 'amd';

export interface DriverDecision {
  enabled: boolean;
  log: string[];
}

/**
 * Whether the vendor driver turns DMA remapping on. Intel: dmar_disabled = !INTEL_IOMMU_DEFAULT_ON,
 * intel_iommu=on/off, forced on by the DMAR platform opt-in flag when an untrusted device exists
 * (unless intel_iommu=off). AMD: on whenever an IVRS table exists, unless amd_iommu=off. iommu=off
 * (no_iommu) disables both on x86.
 */
export function driverEnabled(
  vendor: IommuVendor,
  cmd: IommuCmdline,
  k: IommuKconfig,
  firmware: { tablePresent: boolean; platformOptIn?: boolean; untrustedDevicePresent?: boolean },
): DriverDecision {
  const log: string[] = [];
  if (!firmware.tablePresent || cmd.noIommu) return { enabled: false, log };
  if (vendor === 'amd') return { enabled: !cmd.amdIommuOff, log };
  let on = cmd.intelIommuOn ?? k.intelIommuDefaultOn;
  if (!on && firmware.platformOptIn && firmware.untrustedDevicePresent && !cmd.noPlatformOptin) {
    log.push('DMAR: Intel-IOMMU force enabled due to platform opt in');
    on = true;
  }
  return { enabled: on, log };
}

export interface DeviceFacts {
  untrusted: boolean;
  /** Intel: the unit lacks ECAP.PT (hardware pass-through). */
  noHwPassthrough?: boolean;
  /** AMD: the device supports PASID (IOMMUv2-capable). */
  pasid?: boolean;
}

/**
 * iommu_get_default_domain_type() for one group: the driver's def_domain_type per device, then
 * the untrusted rule; returns the requested type, 0 for "no preference" (use the global default),
 * or -1 when the group cannot be set up (a driver overrides an untrusted device).
 */
export function groupDomainRequest(
  vendor: IommuVendor,
  devices: readonly DeviceFacts[],
  memoryEncryption: boolean,
): number {
  let driverType = 0;
  let untrusted = false;
  for (const d of devices) {
    let t = 0;
    if (vendor === 'intel' && d.noHwPassthrough) t = IOMMU_DOMAIN_DMA;
    if (vendor === 'amd') {
      if (d.untrusted) t = IOMMU_DOMAIN_DMA;
      else if (d.pasid && !memoryEncryption) t = IOMMU_DOMAIN_IDENTITY;
    }
    if (t && driverType && t !== driverType) return -1; // conflicting def_domain_type in one group
    if (t) driverType = t;
    if (d.untrusted) untrusted = true;
  }
  if (untrusted) {
    if (driverType && driverType !== IOMMU_DOMAIN_DMA) return -1;
    return IOMMU_DOMAIN_DMA;
  }
  return driverType;
}

/** The type a group's default domain gets: its request, else the global default. */
export function groupDefaultDomain(request: number, global: GlobalDefault): number {
  return request > 0 ? request : global.type;
}
