// SPDX-License-Identifier: Apache-2.0
// The host description (YAML), version iofleet/v1. A host is either described (CPU, memory, PCI
// tree, IOMMU parameters: iofleet builds its DMAR or IVRS) or given as firmware (a real DMAR/IVRS
// or acpidump output plus an lspci-style device list). See docs/host-description.md. Arm hosts
// (cpu.vendor: arm) boot from an IORT (docs/acpi.md, "An Arm host's IORT"; docs/smmuv3.md).

import { z } from 'zod';

const BDF_RE = /^(?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[01][0-9a-fA-F]\.[0-7]$/;
export const bdfText = z.string().regex(BDF_RE, 'expected a PCI address "bb:dd.f" or "ssss:bb:dd.f"');

/** Integers may be written as numbers or as strings (hex allowed: "0xfed90000"). */
export const intLike = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^(0x[0-9a-fA-F]+|[0-9]+)$/, 'expected a non-negative integer (decimal or 0x-hex)')
    .transform((s) => Number(s)),
]);

/** ACS control bits that Linux requires for isolation (REQ_ACS_FLAGS): all of them, or a subset. */
const acsBit = z.enum(['SV', 'TB', 'RR', 'CR', 'UF', 'EC', 'DT']);
export const acsSpec = z.union([
  z.boolean(),
  z.array(acsBit),
  /** The capability register's bits and the control register's enabled bits, as lspci shows them. */
  z.object({ cap: z.array(acsBit), ctrl: z.array(acsBit) }).strict(),
]);

export const pciNodeSchema = z
  .object({
    bdf: bdfText,
    kind: z.enum(['rootPort', 'switchUpstream', 'switchDownstream', 'pcieToPciBridge', 'endpoint', 'pciEndpoint']),
    /** The bridge or port this function sits below; absent for functions on a root bus. */
    parent: bdfText.optional(),
    numaNode: z.number().int().nonnegative().optional(),
    /**
     * ACS capability: true = SV|TB|RR|CR|UF capable and enabled, false = no ACS capability, a list =
     * those bits capable and enabled, or {cap, ctrl} for both registers.
     */
    acs: acsSpec.optional(),
    vendor: z
      .string()
      .regex(/^[0-9a-fA-F]{4}$/)
      .optional(),
    device: z
      .string()
      .regex(/^[0-9a-fA-F]{4}$/)
      .optional(),
    /** A short device class used by reports: nvme, nic, gpu, audio, usb, bridge... */
    class: z.string().optional(),
    /** Device plugin that models this function, with its options. */
    plugin: z.string().optional(),
    options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** Header type bit 7; implied when another function of the same device is listed. */
    multifunction: z.boolean().optional(),
    /** SR-IOV physical function: number of virtual functions enabled. */
    sriovVfs: z.number().int().min(0).max(256).optional(),
    /** The host keeps this function (boot disk, management NIC): it is never given to a VM, so its group is not viable. */
    hostBound: z.boolean().optional(),
    /** Set on generated SR-IOV virtual functions: their physical function. */
    virtfnOf: bdfText.optional(),
    /** Behind an external-facing port (Thunderbolt): Linux marks it untrusted. */
    untrusted: z.boolean().optional(),
    /**
     * A port the firmware marks external-facing (ACPI ExternalFacingPort: a Thunderbolt/USB4 port;
     * pdev->external_facing). With the DMAR platform opt-in it forces the Intel IOMMU on. The
     * devices behind it are not marked untrusted for you: mark them `untrusted`.
     */
    externalFacing: z.boolean().optional(),
    /** Quirk DMA alias (e.g. a device that issues DMA with another function's requester id). */
    dmaAlias: bdfText.optional(),
  })
  .strict();

const rid = intLike.refine((v) => v <= 0xffff, 'a 16-bit requester ID');

/** One IOMMU unit. Intel / AMD: base, includeAll, scope. Arm (an IORT SMMUv3 node): the rest. */
const unitSchema = z
  .object({
    base: intLike,
    includeAll: z.boolean().default(false),
    /** Root ports or endpoints this unit covers (bridge scopes cover their subtree). */
    scope: z.array(bdfText).default([]),
    /** Arm: the PCI segment (root complex) whose requester IDs it translates (default 0). */
    segment: intLike.optional(),
    /** Arm: first and last requester ID it translates (default: the whole segment). */
    rids: z.tuple([rid, rid]).optional(),
    /** Arm: stream ID of the first RID (default: stream ID = RID). */
    streamIdBase: intLike.optional(),
    /** Arm: ITS group (index) for its MSIs and its devices' (default 0). */
    its: intLike.optional(),
    /** Arm: proximity domain (NUMA node) of the SMMU. */
    numaNode: intLike.optional(),
    /** Arm: wired interrupts (default: MSIs). */
    gsiv: z.object({ event: intLike, pri: intLike, gerr: intLike, sync: intLike }).strict().optional(),
  })
  .strict();

export const iommuSchema = z
  .object({
    addressWidth: z.union([z.literal(39), z.literal(48), z.literal(57)]).default(48),
    superpages: z.array(z.enum(['2M', '1G'])).default(['2M', '1G']),
    iotlb: z
      .object({
        entries: z.number().int().positive().max(65536).default(512),
        ways: z.number().int().positive().max(64).default(8),
        replacement: z.enum(['lru', 'fifo', 'random']).default('lru'),
      })
      .strict()
      .default({ entries: 512, ways: 8, replacement: 'lru' }),
    ats: z.boolean().default(false),
    scalableMode: z.boolean().default(false),
    /** VT-d CAP.CM: a virtual IOMMU that caches not-present entries (QEMU caching-mode=on). Linux then forces strict invalidation. */
    cachingMode: z.boolean().default(false),
    /**
     * DMAR flag DMA_CTRL_PLATFORM_OPT_IN (bit 2): the firmware asks the OS to keep DMA protection
     * on (Intel; laptops with Thunderbolt set it). With an external-facing port Linux forces the
     * IOMMU on.
     */
    platformOptIn: z.boolean().default(false),
    /**
     * Posted interrupts (VT-d CAP.PI, AMD-Vi guest virtual APIC): an assigned device interrupts
     * its guest without a VM exit. Server parts have them; client parts (laptops) do not, and
     * each interrupt then costs the guest an exit (../vm/guest-device.ts).
     */
    postedInterrupts: z.boolean().default(true),
    /**
     * IOMMU units; default: one unit with INCLUDE_PCI_ALL (Intel) / one IVHD covering all (AMD) /
     * one SMMUv3 translating every requester ID of segment 0 (Arm).
     */
    units: z.array(unitSchema).optional(),
    rmrr: z.array(z.object({ base: intLike, end: intLike, devices: z.array(bdfText).min(1) }).strict()).default([]),
    /** Arm: GIC ITS identifiers per ITS group (IORT ITS group nodes; default one group, ITS 0). */
    its: z.array(z.array(intLike).min(1)).min(1).optional(),
    /** Arm: memory a device keeps using across boot (IORT RMR nodes on its stream ID). */
    rmr: z.array(z.object({ base: intLike, end: intLike, devices: z.array(bdfText).min(1) }).strict()).default([]),
    /**
     * Arm: the kernel's PAGE_SIZE, the granule of its DMA domains' page tables (arm64 kernels are
     * built with 4K, 16K or 64K pages; NVIDIA's Grace kernels ship a 64K flavour too).
     */
    pageSize: z.enum(['4K', '16K', '64K']).default('4K'),
  })
  .strict();

export const kernelSchema = z
  .object({
    distro: z.string().optional(),
    cmdline: z.string().default(''),
    kconfig: z
      .object({
        defaultDomain: z.enum(['strict', 'lazy', 'passthrough']).optional(),
        intelIommuDefaultOn: z.boolean().optional(),
        scalableModeDefaultOn: z.boolean().optional(),
      })
      .strict()
      .default({}),
    memoryEncryption: z.boolean().default(false),
  })
  .strict();

export const hostDescriptionSchema = z
  .object({
    apiVersion: z.literal('iofleet/v1').default('iofleet/v1'),
    kind: z.literal('Host').default('Host'),
    name: z.string().min(1),
    description: z.string().optional(),
    cpu: z
      .object({
        vendor: z.enum(['intel', 'amd', 'arm']),
        model: z.string().optional(),
        sockets: z.number().int().min(1).max(16).default(1),
        coresPerSocket: z.number().int().min(1).max(512),
        ghz: z.number().positive().max(10).default(2.5),
      })
      .strict(),
    numaNodes: z
      .array(z.object({ id: z.number().int().nonnegative(), memoryGiB: z.number().positive() }).strict())
      .min(1),
    iommu: iommuSchema.default(iommuSchema.parse({})),
    kernel: kernelSchema.default(kernelSchema.parse({})),
    costProfile: z.string().optional(),
    pci: z.array(pciNodeSchema).default([]),
    /** A real machine: firmware tables and an lspci listing instead of (or besides) `pci`. */
    firmware: z
      .object({
        table: z.string().optional(),
        acpidump: z.string().optional(),
        lspci: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    // IOMMU fields belong to one firmware table: DMAR/IVRS (x86) or IORT (Arm).
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const arm = d.cpu.vendor === 'arm';
    const ARM_ONLY = ['segment', 'rids', 'streamIdBase', 'its', 'numaNode', 'gsiv'] as const;
    (d.iommu.units ?? []).forEach((u, i) => {
      if (arm && (u.includeAll || u.scope.length))
        issue(
          ['iommu', 'units', i],
          'includeAll and scope are DMAR/IVRS unit fields; an Arm SMMUv3 takes segment and rids',
        );
      if (!arm)
        for (const k of ARM_ONLY)
          if (u[k] !== undefined)
            issue(['iommu', 'units', i, k], `${k} is an Arm (IORT) unit field; this host is ${d.cpu.vendor}`);
    });
    if (arm && d.iommu.rmrr.length) issue(['iommu', 'rmrr'], 'rmrr is Intel/AMD firmware; an Arm host gives iommu.rmr');
    if (!arm) {
      if (d.iommu.its) issue(['iommu', 'its'], `its is an Arm (IORT) field; this host is ${d.cpu.vendor}`);
      if (d.iommu.rmr.length) issue(['iommu', 'rmr'], `rmr is an Arm (IORT) field; this host uses iommu.rmrr`);
      if (d.iommu.pageSize !== '4K')
        issue(['iommu', 'pageSize'], `pageSize ${d.iommu.pageSize} is an arm64 kernel's; x86 pages are 4K`);
    }
  });

export type HostDescription = z.output<typeof hostDescriptionSchema>;
export type PciNodeDescription = z.output<typeof pciNodeSchema>;
