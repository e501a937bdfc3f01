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

export type IommuVendor = 'intel' | 'amd' | 'arm';

export interface DriverDecision {
  enabled: boolean;
  log: string[];
  /**
   * The platform opt-in forced the Intel driver on while it was disabled by default (Kconfig or
   * no intel_iommu=on): Linux then makes pass-through the default domain type
   * (iommu_set_default_passthrough(false)) — every group but untrusted devices' gets IDENTITY.
   */
  defaultPassthrough: boolean;
}

export interface FirmwareFacts {
  tablePresent: boolean;
  /** DMAR flag DMA_CTRL_PLATFORM_OPT_IN (bit 2): the firmware asks for DMA protection. */
  platformOptIn?: boolean;
  /** has_external_pci(): some PCI port is marked external-facing (a Thunderbolt/USB4 port). */
  externalFacingPort?: boolean;
}

/**
 * Whether the vendor driver turns DMA remapping on.
 *
 * Intel (drivers/iommu/intel/iommu.c): dmar_disabled = !INTEL_IOMMU_DEFAULT_ON unless
 * intel_iommu=on/off; iommu=off (no_iommu) disables it. platform_optin_force_iommu() runs first:
 * with the DMAR platform opt-in flag and an external-facing port, and without intel_iommu=off
 * (no_platform_optin), it forces the driver on — overriding dmar_disabled and, in mainline, also
 * no_iommu (iommu=off) — printing "Intel-IOMMU force enabled due to platform opt in" when either
 * was set, and makes pass-through the default when dmar_disabled was set. (A 2026 patch series,
 * "iommu/vt-d: Fix no_iommu to disable platform optin", would make iommu=off win; not merged here.)
 *
 * AMD: on whenever an IVRS table exists, unless amd_iommu=off or iommu=off.
 *
 * Arm: arm-smmu-v3 probes every SMMUv3 the IORT describes; arm64 has no iommu=off (the x86
 * `iommu=` parameter is arch/x86's), so only a missing table leaves devices untranslated.
 */
export function driverEnabled(
  vendor: IommuVendor,
  cmd: IommuCmdline,
  k: IommuKconfig,
  firmware: FirmwareFacts,
): DriverDecision {
  const log: string[] = [];
  const off: DriverDecision = { enabled: false, log, defaultPassthrough: false };
  if (!firmware.tablePresent) return off;
  if (vendor === 'amd') return { enabled: !cmd.amdIommuOff && !cmd.noIommu, log, defaultPassthrough: false };
  if (vendor === 'arm') return { enabled: true, log, defaultPassthrough: false };
  const dmarDisabled = !(cmd.intelIommuOn ?? k.intelIommuDefaultOn);
  if (firmware.platformOptIn && firmware.externalFacingPort && !cmd.noPlatformOptin) {
    if (cmd.noIommu || dmarDisabled) log.push('DMAR: Intel-IOMMU force enabled due to platform opt in');
    return { enabled: true, log, defaultPassthrough: dmarDisabled };
  }
  return { enabled: !cmd.noIommu && !dmarDisabled, log, defaultPassthrough: false };
}

/** iommu_set_default_passthrough(false): the default domain type becomes IDENTITY. */
export function setDefaultPassthrough(g: GlobalDefault): GlobalDefault {
  return { ...g, type: IOMMU_DOMAIN_IDENTITY };
}

/** iommu_set_dma_strict(): strict invalidation, and DMA instead of DMA-FQ as the default type. */
export function setDmaStrict(g: GlobalDefault): GlobalDefault {
  return { ...g, strict: true, type: g.type === IOMMU_DOMAIN_DMA_FQ ? IOMMU_DOMAIN_DMA : g.type };
}

/**
 * intel_iommu_init(): a unit with CAP.CM (caching mode: a virtual IOMMU that shadows the guest's
 * tables) and second-stage tables for DMA domains (!first_level_by_default()) forces strict
 * invalidation — the flush queue's domain-wide flushes would make the hypervisor resync whole
 * shadow tables — and prints, once, "IOMMU batching disallowed due to virtualization" (mainline;
 * older kernels printed "IOMMU batching is disabled due to virtualization"). Returns the
 * global default to use and the lines, printed after the units' "Using Queued invalidation".
 */
export function intelCachingMode(
  g: GlobalDefault,
  units: readonly { cachingMode: boolean; firstLevelByDefault?: boolean }[],
): { global: GlobalDefault; log: string[] } {
  if (!units.some((u) => u.cachingMode && !u.firstLevelByDefault)) return { global: g, log: [] };
  return { global: setDmaStrict(g), log: ['DMAR: IOMMU batching disallowed due to virtualization'] };
}

export interface DeviceFacts {
  untrusted: boolean;
  /** Intel: the unit lacks ECAP.PT (hardware pass-through). */
  noHwPassthrough?: boolean;
  /** AMD: the device supports PASID (IOMMUv2-capable). */
  pasid?: boolean;
  /** Arm: arm_smmu_def_domain_type()'s answer for the device (IOMMU_DOMAIN_IDENTITY for HiSilicon PTT). */
  armDefDomainType?: number;
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
    if (vendor === 'arm') t = d.armDefDomainType ?? 0;
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
