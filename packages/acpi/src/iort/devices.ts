// SPDX-License-Identifier: Apache-2.0
// What Linux finds in the IORT for one device (drivers/acpi/arm64/iort.c):
// - a PCI function: its root complex by PCI segment (iort_scan_node() with
//   iort_match_node_callback()), its requester ID mapped to an SMMU and stream ID
//   (iort_pci_iommu_init() -> iort_node_map_id(.., IORT_IOMMU_TYPE)), to an ITS group and DeviceID
//   for MSIs (iort_msi_map_id()), ATS from the root complex (iort_pci_rc_supports_ats()) and the
//   DMA limit (rc_dma_get_range(), root complex revision 1 onwards);
// - a named component (matched by its full ACPI path, as strcmp() in iort_match_node_callback()):
//   its stream IDs from single mappings (iort_nc_iommu_map()) or from one input ID
//   (iort_nc_iommu_map_id()), its MSI DeviceID (iort_pmsi_get_dev_id()), DMA limit and PASID width;
// - a platform device with its own IORT node (an SMMUv3 or PMCG): its MSI DeviceID.
// The caller resolves PCI DMA aliases (pci_for_each_dma_alias()) and passes each requester ID.

import { bits, IORT_NAMED_COMPONENT, IORT_ROOT_COMPLEX, IORT_SMMU_V3, NC_FLAGS, RC_ATS } from './layout';
import {
  FW_BUG,
  IORT_IOMMU_TYPE,
  IORT_LOG_PREFIX,
  IORT_MSI_TYPE,
  type IortIndex,
  iortGetIdMappingIndex,
  iortNodeGetId,
  iortNodeMapId,
  iortNodeMapPlatformId,
  type MapIdResult,
} from './map-id';

export interface IortStream {
  /** Index of the SMMU node. */
  node: number;
  type: 'SMMU' | 'SMMU_V3';
  streamId: number;
}

export interface IortMsiTarget {
  /** Index of the ITS group node. */
  node: number;
  deviceId: number;
  /** The group's GIC ITS identifiers; Linux uses the first (iort_dev_find_its_id(.., 0, ..)). */
  itsIds: number[];
}

export interface IortPciDevice {
  rootComplex: number;
  /** Absent: the RID reaches no SMMU, the device is not behind an IOMMU. */
  iommu?: IortStream;
  msi?: IortMsiTarget;
  /** IOMMU_FWSPEC_PCI_RC_ATS: the root complex supports ATS (and the device has an SMMU). */
  ats: boolean;
  /** Address bits the root complex can drive (absent before root complex revision 1). */
  dmaLimitBits?: number;
  log: string[];
  /** Where the walk stopped on a malformed table (not a Linux behaviour). */
  broken?: string[];
}

export interface IortNamedComponentDevice {
  node: number;
  streams: IortStream[];
  msi?: IortMsiTarget;
  /** Address bits the device can drive (absent: the field is 0, which Linux reports and ignores). */
  dmaLimitBits?: number;
  /** Substream (PASID) width: Node Flags bits 5:1 (fwspec->num_pasid_bits). */
  pasidBits: number;
  log: string[];
  broken?: string[];
}

const limitBits = (v: number | bigint | undefined) => Math.min(64, Number(v ?? 0));

function stream(ix: IortIndex, r: MapIdResult): IortStream | undefined {
  if (r.node === undefined) return undefined;
  return { node: r.node, type: ix.node(r.node).type === IORT_SMMU_V3 ? 'SMMU_V3' : 'SMMU', streamId: r.id };
}

function msiTarget(ix: IortIndex, r: MapIdResult): IortMsiTarget | undefined {
  if (r.node === undefined) return undefined;
  return { node: r.node, deviceId: r.id, itsIds: [...(ix.node(r.node).itsIds ?? [])] };
}

function broken(...rs: MapIdResult[]): { broken?: string[] } {
  const b = rs.flatMap((r) => (r.broken ? [r.broken] : []));
  return b.length ? { broken: b } : {};
}

/** iort_scan_node(ACPI_IORT_NODE_PCI_ROOT_COMPLEX, ...): the first root complex of a segment. */
export function iortFindRootComplex(ix: IortIndex, segment: number): number | undefined {
  const i = ix.table.nodes.findIndex(
    (n) => n.type === IORT_ROOT_COMPLEX && Number(n.fields.PciSegmentNumber) === segment,
  );
  return i < 0 ? undefined : i;
}

/** iort_scan_node(ACPI_IORT_NODE_NAMED_COMPONENT, ...): the first named component with this full path. */
export function iortFindNamedComponent(ix: IortIndex, path: string): number | undefined {
  const i = ix.table.nodes.findIndex((n) => n.type === IORT_NAMED_COMPONENT && n.deviceName === path);
  return i < 0 ? undefined : i;
}

/** A PCI function's IORT translation; undefined when no root complex describes its segment. */
export function iortPciDevice(ix: IortIndex, segment: number, rid: number): IortPciDevice | undefined {
  const rc = iortFindRootComplex(ix, segment);
  if (rc === undefined) return undefined;
  const node = ix.node(rc);
  const toIommu = iortNodeMapId(ix, rc, rid, IORT_IOMMU_TYPE);
  const toIts = iortNodeMapId(ix, rc, rid, IORT_MSI_TYPE);
  const iommu = stream(ix, toIommu);
  const msi = msiTarget(ix, toIts);
  const out: IortPciDevice = {
    rootComplex: rc,
    ats: iommu !== undefined && bits(node.fields.AtsAttribute ?? 0, RC_ATS.ats) === 1,
    log: [...toIommu.log, ...toIts.log],
    ...broken(toIommu, toIts),
  };
  if (iommu) out.iommu = iommu;
  if (msi) out.msi = msi;
  // rc_dma_get_range(): only from root complex revision 1; a limit of 0 is a firmware bug.
  if (node.revision >= 1 && node.fields.MemoryAddressSizeLimit !== undefined) {
    if (Number(node.fields.MemoryAddressSizeLimit)) out.dmaLimitBits = limitBits(node.fields.MemoryAddressSizeLimit);
    else out.log.push(`${IORT_LOG_PREFIX}${FW_BUG}Root complex missing memory address limit`);
  }
  return out;
}

/** The MSI DeviceID of a device with its own node (iort_pmsi_get_dev_id()). */
export function iortPlatformMsi(ix: IortIndex, i: number): (IortMsiTarget & { log: string[] }) | undefined {
  const { index, log } = iortGetIdMappingIndex(ix.node(i), ix.offsets[i]!);
  if (index >= 0) {
    const r = iortNodeGetId(ix, i, index);
    if (r.node === undefined || r.id === undefined) return undefined;
    return { node: r.node, deviceId: r.id, itsIds: [...(ix.node(r.node).itsIds ?? [])], log: [...log, ...r.log] };
  }
  for (let m = 0; m < ix.node(i).mappings.length; m++) {
    const r = iortNodeMapPlatformId(ix, i, IORT_MSI_TYPE, m);
    const t = msiTarget(ix, r);
    if (t) return { ...t, log: [...log, ...r.log] };
  }
  return undefined;
}

/** A named component's IORT translation; undefined when no node has this path. */
export function iortNamedComponentDevice(
  ix: IortIndex,
  path: string,
  idIn?: number,
): IortNamedComponentDevice | undefined {
  const nc = iortFindNamedComponent(ix, path);
  if (nc === undefined) return undefined;
  const node = ix.node(nc);
  const results: MapIdResult[] = [];
  if (idIn !== undefined) results.push(iortNodeMapId(ix, nc, idIn, IORT_IOMMU_TYPE));
  else {
    // iort_nc_iommu_map(): one stream ID per single mapping, up to the first that leads nowhere.
    for (let m = 0; m < node.mappings.length; m++) {
      const r = iortNodeMapPlatformId(ix, nc, IORT_IOMMU_TYPE, m);
      results.push(r);
      if (r.node === undefined) break;
    }
  }
  const msi = iortPlatformMsi(ix, nc);
  const out: IortNamedComponentDevice = {
    node: nc,
    streams: results.flatMap((r) => stream(ix, r) ?? []),
    pasidBits: bits(node.fields.NodeFlags ?? 0, NC_FLAGS.pasidBits),
    log: [...results.flatMap((r) => r.log), ...(msi?.log ?? [])],
    ...broken(...results),
  };
  if (msi) out.msi = { node: msi.node, deviceId: msi.deviceId, itsIds: msi.itsIds };
  // nc_dma_get_range()
  if (Number(node.fields.MemoryAddressSizeLimit ?? 0)) out.dmaLimitBits = limitBits(node.fields.MemoryAddressSizeLimit);
  else out.log.push(`${IORT_LOG_PREFIX}${FW_BUG}Named component missing memory address limit`);
  return out;
}
