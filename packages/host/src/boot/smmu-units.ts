// SPDX-License-Identifier: Apache-2.0
// Arm SMMUv3 units created from an IORT, as Linux does at boot (drivers/acpi/arm64/iort.c and
// drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c):
// - iort_init_platform_devices() makes one platform device per SMMUv3 node, named
//   "arm-smmu-v3.<n>.auto" in table order (PLATFORM_DEVID_AUTO; the IORT's are the first such
//   devices at boot), arm_smmu_v3_set_proximity() prints "SMMU-v3[base] Mapped to Proximity domain
//   N" when the node's proximity-domain-valid flag is set; arm_smmu_device_probe() then prints the
//   unit's probe lines (SmmuV3Unit.bootLines()).
// - iort_iommu_configure_id() for a PCI device: its root complex by segment, then
//   iort_pci_iommu_init() -> iort_node_map_id(.., IORT_IOMMU_TYPE) turns the requester ID into the
//   SMMU node it reaches and the StreamID there (@iofleet/acpi iortPciDevice()); a RID that reaches
//   no SMMU (a range mapped straight to the ITS) has no IOMMU and no group.
// - iort_iommu_get_resv_regions(): RMR regions of the StreamID become direct-mapped ranges of the
//   default domain (as RMRRs do on Intel).
// Model departures: pci_for_each_dma_alias() would add every DMA alias's StreamID to the master's
// fwspec; the model gives a master the StreamID of its own RID (SmmuV3Unit: one StreamID per
// master). Groups still follow aliases (pci_device_group()). The arm-smmu-v3 option quirks
// (acpi_smmu_get_options(): Cavium CN99xx, HiSilicon Hi161x) are not applied.

import {
  bits,
  decodeIort,
  IORT_SMMU_V3,
  IortIndex,
  type IortTable,
  iortPciDevice,
  iortRmrRegions,
  SMMU_V3_FLAGS,
} from '@iofleet/acpi';
import { SmmuV3Unit } from '@iofleet/core/hardware';
import type { PciFunction } from '../pci/tree';
import { decode, type HostUnit, type UnitsFromFirmware } from './iommu-units';

const IORT_PREFIX = 'ACPI: IORT: ';
const PAGE_BYTES = { '4K': 4096, '16K': 16384, '64K': 65536 } as const;

interface Placement {
  unit: number;
  streamId: number;
  ats: boolean;
}

/**
 * IDR1.SIDSIZE of the modelled SMMU: real parts report a fixed width (MMU-700: up to 32 bits) that
 * an IORT does not carry; the model takes 16 bits, or as many as the node's largest output
 * StreamID needs, so that the two-level stream table stays small.
 */
function sidBitsFor(n: IortTable['nodes'][number]): number {
  let max = 0;
  for (const m of n.mappings) max = Math.max(max, m.outputBase + m.idCount);
  return Math.max(16, Math.ceil(Math.log2(max + 1)));
}

export const smmuUnitsFromIort: UnitsFromFirmware = (bytes, tree, desc, mem, counters) => {
  const t: IortTable = decode('IORT', () => decodeIort(bytes));
  const ix = new IortIndex(t);
  const log: string[] = [];
  const units: HostUnit[] = [];
  /** IORT node index -> index into `units`. */
  const unitOfNode = new Map<number, number>();
  t.nodes.forEach((n, i) => {
    if (n.type !== IORT_SMMU_V3) return;
    const base = BigInt(n.fields.BaseAddress ?? 0);
    const f = Number(n.fields.Flags ?? 0);
    if (bits(f, SMMU_V3_FLAGS.proximityDomainValid))
      log.push(
        `${IORT_PREFIX}SMMU-v3[${base.toString(16)}] Mapped to Proximity domain ${Number(n.fields.ProximityDomain ?? 0)}`,
      );
    const name = `arm-smmu-v3.${units.length}.auto`;
    const unit = new SmmuV3Unit({
      mem,
      name,
      registerBase: Number(base),
      counters: counters(),
      pageSize: desc.iommu.pageSize,
      params: {
        // arm_smmu_device_acpi_probe(): coherency comes from the IORT's COHACC override flag.
        coherent: bits(f, SMMU_V3_FLAGS.cohaccOverride) === 1,
        ats: desc.iommu.ats,
        pri: desc.iommu.ats,
        outputBits: desc.iommu.addressWidth > 48 ? 52 : 48,
        sidBits: sidBitsFor(n),
        tlb: desc.iommu.iotlb,
      },
    });
    unitOfNode.set(i, units.length);
    units.push({ kind: 'smmu', unit, base });
    log.push(...unit.bootLines());
  });
  const placement = new Map<PciFunction, Placement | null>();
  const firmwareWarnings: string[] = [];
  const place = (f: PciFunction): Placement | null => {
    const hit = placement.get(f);
    if (hit !== undefined) return hit;
    const d = iortPciDevice(ix, f.segment, f.bdf);
    let p: Placement | null = null;
    if (d) {
      log.push(...d.log);
      firmwareWarnings.push(...d.log);
      const u = d.iommu ? unitOfNode.get(d.iommu.node) : undefined;
      if (d.iommu && u !== undefined) p = { unit: u, streamId: d.iommu.streamId, ats: d.ats };
    }
    placement.set(f, p);
    return p;
  };
  // Devices are probed (and their IORT lookups logged) in PCI order, before the groups form.
  for (const f of tree.inProbeOrder()) place(f);
  // RMR ranges per function, by the StreamID it was given on its SMMU.
  const reserved = new Map<string, [bigint, bigint][]>();
  for (const [node, u] of unitOfNode) {
    const r = iortRmrRegions(ix, node, PAGE_BYTES[desc.iommu.pageSize]);
    log.push(...r.log);
    for (const region of r.regions)
      for (const f of tree.functions) {
        const p = place(f);
        if (!p || p.unit !== u) continue;
        if (!region.streamIds.some((s) => p.streamId >= s.first && p.streamId < s.first + s.count)) continue;
        reserved.set(f.text, [...(reserved.get(f.text) ?? []), [region.start, region.start + region.length - 1n]]);
      }
  }
  return {
    signature: 'IORT',
    units,
    unitOf: (f) => place(f)?.unit ?? -1,
    sourceIdOf: (f) => place(f)?.streamId ?? f.bdf,
    atsOf: (f) => place(f)?.ats ?? false,
    reserved,
    log,
    firmwareWarnings,
    platformOptIn: false,
  };
};
