// SPDX-License-Identifier: Apache-2.0
// The kernel a host boots: a distribution preset (its Kconfig defaults and command line), the
// description's Kconfig overrides and command line, and a command line given at run time (which
// is appended, so its values win as later parameters do in Linux). Parsing and the default-domain
// choice are @iofleet/core's (iommu_subsys_init(), the vendor drivers' early parameters).

import { isCoreError } from '@iofleet/core';
import {
  ARM64_UPSTREAM_KCONFIG,
  type GlobalDefault,
  getDistro,
  globalDefaultDomain,
  type IommuCmdline,
  type IommuKconfig,
  parseIommuCmdline,
} from '@iofleet/core/linux';
import type { HostDescription } from '../description/schema';
import { HostError } from '../errors';

export interface KernelPolicy {
  distro: string;
  cmdlineText: string;
  cmdline: IommuCmdline;
  kconfig: IommuKconfig;
  global: GlobalDefault;
}

export interface KernelOverrides {
  /** Replaces the description's distribution preset. */
  distro?: string;
  /** Appended to the description's command line. */
  cmdline?: string;
}

export function kernelPolicy(desc: HostDescription, o: KernelOverrides = {}): KernelPolicy {
  const distroName = o.distro ?? desc.kernel.distro ?? 'upstream';
  let preset: ReturnType<typeof getDistro>;
  try {
    preset = getDistro(distroName);
  } catch (e) {
    if (isCoreError(e)) throw new HostError('DESCRIPTION_INVALID', e.message);
    throw e;
  }
  const k = desc.kernel.kconfig;
  // drivers/iommu/Kconfig: the lazy default is x86's and s390's; on arm64 the default domain is
  // strict unless the distribution's kernel chooses otherwise (nvidia-grace: lazy).
  const archDefault =
    desc.cpu.vendor === 'arm' && !preset.sets.includes('defaultDomain')
      ? { defaultDomain: ARM64_UPSTREAM_KCONFIG.defaultDomain }
      : {};
  const kconfig: IommuKconfig = {
    ...preset.kconfig,
    ...archDefault,
    ...(k.defaultDomain !== undefined && { defaultDomain: k.defaultDomain }),
    ...(k.intelIommuDefaultOn !== undefined && { intelIommuDefaultOn: k.intelIommuDefaultOn }),
    ...(k.scalableModeDefaultOn !== undefined && { intelScalableModeDefaultOn: k.scalableModeDefaultOn }),
  };
  const cmdlineText = [preset.cmdline, desc.kernel.cmdline, o.cmdline ?? ''].filter((s) => s.trim()).join(' ');
  const cmdline = parseIommuCmdline(cmdlineText, desc.cpu.vendor === 'arm' ? 'arm64' : 'x86');
  const global = globalDefaultDomain(cmdline, kconfig, { memoryEncryption: desc.kernel.memoryEncryption });
  return { distro: preset.name, cmdlineText, cmdline, kconfig, global };
}
