// SPDX-License-Identifier: Apache-2.0
// Booting a host as Linux does: firmware bytes (built from the description, or the real machine's
// table) are parsed into IOMMU units; the kernel's command line and Kconfig decide whether the
// vendor driver turns on and which default domain type groups get (iommu_subsys_init());
// devices are probed in pci_bus_add_devices() order and each joins its IOMMU group
// (pci_device_group()); every group gets its default domain (iommu_setup_default_domain()):
// IDENTITY (pass-through context/DTE, bypass STE), DMA (strict) or DMA-FQ (lazy, flush queue).
// Arm hosts boot from an IORT (./smmu-units.ts): SMMUv3 units, StreamIDs from the root complex's
// ID mappings (iort_iommu_configure_id()), groups as pci_device_group() forms them.

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { isAcpiDecodeError, linuxChecksumWarning, pickTable } from '@iofleet/acpi';
import { type Hpa, type Iova, MAX_SIM_CPUS, SimLock } from '@iofleet/core';
import { type CostProfile, getCostProfile } from '@iofleet/core/cost';
import { HwCounters } from '@iofleet/core/hardware';
import {
  armSmmuDefDomainType,
  DirectDmaOps,
  type DmaOps,
  DmaSim,
  dmaDevice,
  driverEnabled,
  formIommuGroups,
  groupDefaultDomain,
  groupDomainRequest,
  IOMMU_DOMAIN_DMA,
  IOMMU_DOMAIN_IDENTITY,
  IommuDmaCookie,
  IommuDmaOps,
  intelCachingMode,
  SwiotlbPool,
  setDefaultPassthrough,
  unitAttachDevice,
  unitCreateDomain,
  X86_MSI_RESERVED,
} from '@iofleet/core/linux';
import type { HostDescription } from '../description/schema';
import { HostError } from '../errors';
import { buildFirmware } from '../firmware/build-firmware';
import { parseDmesgPci, parseLspci } from '../pci/lspci';
import { buildPciTree, type PciFunction, type PciTree, withVirtualFunctions } from '../pci/tree';
import { attachOpts, fullName, type HostDevice, type HostGroup, HostImpl } from './host';
import { amdUnitsFromIvrs, type FirmwareUnits, vtdUnitsFromDmar } from './iommu-units';
import { type KernelOverrides, type KernelPolicy, kernelPolicy } from './kernel-policy';
import { toPciDevs } from './pci-devs';
import { smmuUnitsFromIort } from './smmu-units';

export interface BootOptions extends KernelOverrides {
  /** File the description came from (for messages) and the base for relative firmware paths. */
  file?: string;
  /**
   * The cost profile to price the host with instead of the description's (hostCostProfile):
   * `iofleet calibrate --cross-validate` moves parameters to see which rows depend on them.
   */
  profile?: CostProfile;
}

/** The cost profile a description names, or its CPU vendor's default. */
export function hostCostProfile(desc: HostDescription): CostProfile {
  return getCostProfile(desc.costProfile ?? DEFAULT_PROFILE[desc.cpu.vendor]);
}

function readInput(desc: HostDescription, path: string, file: string): Buffer {
  const base = resolve(file, '..');
  const p = isAbsolute(path) ? path : resolve(base, path);
  try {
    return readFileSync(p);
  } catch {
    throw new HostError(
      'FILE_NOT_FOUND',
      `${file}: firmware file ${path} not found (looked at ${p}) for host ${desc.name}`,
    );
  }
}

const FIRMWARE_TABLE = { intel: 'DMAR', amd: 'IVRS', arm: 'IORT' } as const;
const DEFAULT_PROFILE = { intel: 'intel-icelake-sp', amd: 'amd-epyc-milan', arm: 'arm-neoverse-grace' } as const;

/** The DMAR/IVRS/IORT bytes: the real machine's (firmware.table / firmware.acpidump, raw or acpidump text) or built ones. */
function firmwareBytes(desc: HostDescription, tree: PciTree, file: string): Uint8Array {
  const path = desc.firmware?.acpidump ?? desc.firmware?.table;
  if (!path) return buildFirmware(desc, tree).bytes;
  const want = FIRMWARE_TABLE[desc.cpu.vendor];
  try {
    return pickTable(new Uint8Array(readInput(desc, path, file)), want).bytes;
  } catch (e) {
    if (isAcpiDecodeError(e)) throw new HostError('BOOT_FAILED', `${file}: ${path}: ${e.message}`);
    throw e;
  }
}

function pciNodes(desc: HostDescription, file: string) {
  if (desc.firmware?.lspci) {
    const text = readInput(desc, desc.firmware.lspci, file).toString('utf8');
    // An `lspci -vvnn` listing, or a boot log's PCI enumeration lines.
    const listed = /\] type 0[01] class 0x/.test(text)
      ? parseDmesgPci(text, desc.firmware.lspci)
      : parseLspci(text, desc.firmware.lspci);
    // Described functions add plugins and options to listed ones (or add functions lspci lacks).
    const byBdf = new Map(listed.map((n) => [n.bdf, n]));
    for (const d of desc.pci) byBdf.set(d.bdf, { ...byBdf.get(d.bdf), ...d });
    return [...byBdf.values()];
  }
  return desc.pci;
}

export function bootHost(desc: HostDescription, opts: BootOptions = {}): HostImpl {
  const file = opts.file ?? `${desc.name}.yaml`;
  const tree = buildPciTree(withVirtualFunctions(pciNodes(desc, file)), file);
  const policy: KernelPolicy = kernelPolicy(desc, opts);
  const cpuCount = Math.min(MAX_SIM_CPUS, desc.cpu.sockets * desc.cpu.coresPerSocket);
  const sim = new DmaSim({
    cpuCount,
    numaNodes: desc.numaNodes.length,
    profile: opts.profile ?? hostCostProfile(desc),
  });
  const log: string[] = [...policy.cmdline.messages];
  const bytes = firmwareBytes(desc, tree, file);
  // ACPICA checks every table's checksum as it installs it and warns, then carries on.
  const checksum = linuxChecksumWarning(bytes);
  if (checksum) log.push(checksum);
  const counters = () => new HwCounters();
  const fw: FirmwareUnits =
    desc.cpu.vendor === 'intel'
      ? vtdUnitsFromDmar(bytes, tree, desc, sim.mem, counters, policy.cmdline.superpagesOff)
      : desc.cpu.vendor === 'amd'
        ? amdUnitsFromIvrs(bytes, tree, desc, sim.mem, counters)
        : smmuUnitsFromIort(bytes, tree, desc, sim.mem, counters);
  log.push(...fw.log);
  // has_external_pci(): a port marked external-facing (an untrusted device implies one above it).
  const externalFacingPort = tree.functions.some((f) => f.desc.externalFacing || f.desc.untrusted);
  const drv = driverEnabled(desc.cpu.vendor, policy.cmdline, policy.kconfig, {
    tablePresent: fw.units.length > 0,
    platformOptIn: fw.platformOptIn,
    externalFacingPort,
  });
  // iommu_subsys_init() (subsys_initcall) prints before intel_iommu_init() (rootfs_initcall) runs
  // platform_optin_force_iommu(), which may then switch the default type to pass-through.
  log.push(...policy.global.log, ...drv.log);
  let global = drv.defaultPassthrough ? setDefaultPassthrough(policy.global) : policy.global;
  // Built on first use: a host that never runs DMA (most hosts of a fleet) does not pay for them.
  let pool: SwiotlbPool | undefined;
  const swiotlb = () => {
    const slabs = policy.cmdline.swiotlb?.slabs;
    pool ??= new SwiotlbPool(sim.mem, { cpuCount, log: (l) => sim.printk(l), ...(slabs && { nslabs: slabs }) });
    return pool;
  };
  const devices: HostDevice[] = [];
  const groups: HostGroup[] = [];
  const order = tree.inProbeOrder();
  if (!drv.enabled) {
    for (const f of order)
      devices.push(hostDevice(f, null, () => directOps(sim, f, swiotlb(), !!policy.cmdline.swiotlb?.force)));
    return new HostImpl(desc, file, tree, sim, policy, fw, false, devices, groups, log);
  }
  if (fw.signature === 'DMAR') {
    for (const [i] of fw.units.entries()) log.push(`DMAR: dmar${i}: Using Queued invalidation`);
    // intel_iommu_init(): a unit in caching mode (a virtual IOMMU) forces strict invalidation.
    const cm = intelCachingMode(
      global,
      fw.units.map((u) => ({ cachingMode: u.kind === 'vtd' && u.unit.params.cachingMode })),
    );
    global = cm.global;
    log.push(...cm.log);
  }
  const devs = toPciDevs(tree);
  const index = new Map(tree.functions.map((f, i) => [f, i]));
  const covered = order.filter((f) => fw.unitOf(f) >= 0);
  const res = formIommuGroups(
    devs,
    covered.map((f) => index.get(f)!),
  );
  for (const f of covered) log.push(`pci ${fullName(f)}: Adding to iommu group ${res.groupOf[index.get(f)!]}`);
  for (const [id, members] of res.groups.entries()) {
    const fns = members.map((i) => tree.functions[i]!);
    const unitIx = fw.unitOf(fns[0]!);
    const request = groupDomainRequest(
      desc.cpu.vendor,
      fns.map((f) => ({ untrusted: !!f.desc.untrusted, armDefDomainType: armSmmuDefDomainType(pciIds(f)) })),
      desc.kernel.memoryEncryption,
    );
    if (request < 0) {
      log.push(`iommu: group ${id}: conflicting default domain requests; group left blocked`);
      groups.push(hostGroup(id, fns, 0, unitIx, null, null));
      continue;
    }
    const type = groupDefaultDomain(request, global);
    groups.push(setupDefaultDomain(id, fns, type, unitIx, fw, sim));
  }
  const groupOfFn = new Map<unknown, HostGroup>();
  for (const g of groups) for (const f of g.functions) groupOfFn.set(f, g);
  for (const f of order) {
    const g = groupOfFn.get(f) ?? null;
    devices.push(
      hostDevice(
        f,
        g,
        (): DmaOps =>
          g?.cookie
            ? new IommuDmaOps(g.cookie, dmaInfo(f), { forcedac: policy.cmdline.forcedac, swiotlb: swiotlb() })
            : directOps(sim, f, swiotlb(), !!policy.cmdline.swiotlb?.force),
      ),
    );
  }
  if (fw.signature === 'DMAR') log.push('DMAR: Intel(R) Virtualization Technology for Directed I/O');
  return new HostImpl(desc, file, tree, sim, policy, fw, true, devices, groups, log);
}

/** The function's PCI vendor and device IDs, when the description gives them. */
function pciIds(f: PciFunction): { vendor: number; device: number } | undefined {
  if (!f.desc.vendor || !f.desc.device) return undefined;
  return { vendor: Number.parseInt(f.desc.vendor, 16), device: Number.parseInt(f.desc.device, 16) };
}

/** A device whose DMA ops are built on first use (the Linux DMA API of its driver). */
function hostDevice(fn: PciFunction, group: HostGroup | null, makeOps: () => DmaOps): HostDevice {
  let ops: DmaOps | undefined;
  return {
    fn,
    group,
    unit: group ? group.unit : -1,
    get ops() {
      ops ??= makeOps();
      return ops;
    },
  };
}

/** A group whose DMA-API cookie (IOVA allocator, per-CPU caches, flush queue) is built on first use. */
function hostGroup(
  id: number,
  functions: PciFunction[],
  type: number,
  unit: number,
  domain: HostGroup['domain'],
  makeCookie: (() => IommuDmaCookie) | null,
): HostGroup {
  let cookie: IommuDmaCookie | null | undefined;
  return {
    id,
    functions,
    type,
    unit,
    domain,
    get cookie() {
      cookie ??= makeCookie ? makeCookie() : null;
      return cookie;
    },
  };
}

function dmaInfo(f: PciTree['functions'][number]) {
  return dmaDevice({
    name: fullName(f),
    untrusted: !!f.desc.untrusted,
    minAlignMask: f.desc.class === 'nvme' ? 4095 : 0,
  });
}

/** dma-direct for a device without translation; `swiotlb=force` bounces every mapping. */
function directOps(sim: DmaSim, f: PciFunction, swiotlb: SwiotlbPool, forceBounce: boolean): DmaOps {
  return new DirectDmaOps(sim, dmaInfo(f), swiotlb, forceBounce);
}

/** iommu_setup_default_domain() for one group: the domain, the attach of each member, the cookie. */
function setupDefaultDomain(
  id: number,
  fns: PciTree['functions'],
  type: number,
  unitIx: number,
  fw: FirmwareUnits,
  sim: DmaSim,
): HostGroup {
  const hu = fw.units[unitIx]!;
  if (type === IOMMU_DOMAIN_IDENTITY) {
    for (const f of fns) unitAttachDevice(hu.unit, fw.sourceIdOf(f), 'passthrough', attachOpts(fw, f));
    return hostGroup(id, fns, type, unitIx, null, null);
  }
  const domain = unitCreateDomain(hu.unit, 'dma');
  for (const f of fns) {
    unitAttachDevice(hu.unit, fw.sourceIdOf(f), domain, attachOpts(fw, f));
    // RMRR / IVMD unity ranges are identity-mapped into the default domain (iommu_create_device_direct_mappings()).
    // Aligned to the domain's smallest page (4 KiB; an arm64 kernel's 16 or 64 KiB granule).
    const page = 2 ** (domain.pageSizesLg2[0] ?? 12);
    for (const [lo, hi] of fw.reserved.get(f.text) ?? []) {
      const start = Math.floor(Number(lo) / page) * page;
      const len = Math.ceil((Number(hi) + 1 - start) / page) * page;
      // IOMMU_RESV_DIRECT: identity-mapped, the IOVA is the physical address.
      if (domain.iovaToPhys(start as Iova) < 0) domain.map(start as Iova, start as Hpa, len, 3);
    }
  }
  // The IOVA allocator keeps away from the MSI window and from the reserved ranges (iommu_dma_init_domain()).
  // Arm's MSI window is IOMMU_RESV_SW_MSI, which iova_reserve_iommu_regions() skips for DMA
  // domains (the cookie maps MSI doorbells itself): only the RMR ranges are kept away.
  const reservedRegions: (readonly [number, number])[] = hu.kind === 'smmu' ? [] : [X86_MSI_RESERVED];
  for (const f of fns)
    for (const [lo, hi] of fw.reserved.get(f.text) ?? []) reservedRegions.push([Number(lo), Number(hi)]);
  const mode = type === IOMMU_DOMAIN_DMA ? 'strict' : 'lazy';
  // One invalidation queue and one engine per IOMMU unit, shared by every domain on it (VT-d's
  // qi->q_lock, AMD-Vi's command buffer, arm-smmu-v3's command queue): devices on one unit contend.
  hu.locks ??= {
    queue: new SimLock(`${hu.unit.name} invalidation queue`),
    engine: new SimLock(`${hu.unit.name} invalidation engine`),
  };
  const locks = { invalidationQueueLock: hu.locks.queue, invalidationEngine: hu.locks.engine };
  return hostGroup(
    id,
    fns,
    type,
    unitIx,
    domain,
    () => new IommuDmaCookie(sim, domain, { mode, reservedRegions, ...locks }),
  );
}
