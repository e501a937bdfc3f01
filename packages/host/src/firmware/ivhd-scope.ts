// SPDX-License-Identifier: Apache-2.0
// Which AMD-Vi unit (IVHD) translates which requester id, and which id it sees, as Linux's
// init_iommu_from_acpi() reads the IVHD device entries: SELECT (0x02) names one DeviceID, START
// (0x03) .. END (0x04) a range, ALL (0x01) every DeviceID of the segment, ALIAS_SELECT (0x42) and
// ALIAS_START (0x43) map DeviceIDs to the alias the IOMMU sees (e.g. behind a PCIe-to-PCI bridge),
// EXT_SELECT/EXT_START (0x46/0x47) as SELECT/START with extended data. Each named DeviceID gets the
// unit in the rlookup table (amd_iommu_set_rlookup_table()). Special entries (0x48) name IOAPICs
// and HPETs, which are not PCI functions. AMD IOMMU spec §5.2.2.
//
// The types are the structural minimum of a decoded IVHD; @iofleet/acpi's decoded objects fit.

import { IVHD_ENTRY } from '@iofleet/acpi';

export interface IvhdEntryLike {
  type: number;
  deviceId: number;
  /** For alias entries: the DeviceID the IOMMU sees. */
  aliasDeviceId?: number;
}

export interface IvhdLike {
  type: number;
  deviceId: number;
  segment: number;
  entries: readonly IvhdEntryLike[];
}

/** Map key of a DeviceID within a PCI segment. */
export function sbdfKey(segment: number, deviceId: number): number {
  return segment * 0x10000 + deviceId;
}

export interface IvhdCoverage {
  /** sbdfKey(segment, DeviceID) -> index of the IVHD that translates it. */
  unitOf: Map<number, number>;
  /** sbdfKey(segment, DeviceID) -> the requester id its IOMMU sees (alias), when different. */
  aliasOf: Map<number, number>;
  /** True for units with an ALL entry (they cover every DeviceID of their segment). */
  coversAll: boolean[];
}

/** Reads the device entries of the IVHDs of one type (Linux uses only the highest type present). */
export function ivhdCoverage(ivhds: readonly IvhdLike[]): IvhdCoverage {
  const cov: IvhdCoverage = { unitOf: new Map(), aliasOf: new Map(), coversAll: ivhds.map(() => false) };
  for (const [u, h] of ivhds.entries()) {
    const k = (id: number) => sbdfKey(h.segment, id);
    let rangeStart = -1;
    let rangeAlias = -1;
    for (const e of h.entries) {
      switch (e.type) {
        case IVHD_ENTRY.ALL:
          cov.coversAll[u] = true;
          break;
        case IVHD_ENTRY.SELECT:
        case IVHD_ENTRY.EXT_SELECT:
          cov.unitOf.set(k(e.deviceId), u);
          break;
        case IVHD_ENTRY.ALIAS_SELECT:
          cov.unitOf.set(k(e.deviceId), u);
          cov.unitOf.set(k(e.aliasDeviceId ?? e.deviceId), u);
          if (e.aliasDeviceId !== undefined && e.aliasDeviceId !== e.deviceId)
            cov.aliasOf.set(k(e.deviceId), e.aliasDeviceId);
          break;
        case IVHD_ENTRY.START:
        case IVHD_ENTRY.EXT_START:
          rangeStart = e.deviceId;
          rangeAlias = -1;
          break;
        case IVHD_ENTRY.ALIAS_START:
          rangeStart = e.deviceId;
          rangeAlias = e.aliasDeviceId ?? -1;
          break;
        case IVHD_ENTRY.END:
          if (rangeStart >= 0) {
            for (let id = rangeStart; id <= e.deviceId; id++) {
              cov.unitOf.set(k(id), u);
              if (rangeAlias >= 0) cov.aliasOf.set(k(id), rangeAlias);
            }
            if (rangeAlias >= 0) cov.unitOf.set(k(rangeAlias), u);
          }
          rangeStart = -1;
          break;
        default:
          break;
      }
    }
  }
  return cov;
}

/** Index of the IVHD translating `deviceId` in `segment`, or -1 when none covers it. */
export function matchIvhd(ivhds: readonly IvhdLike[], cov: IvhdCoverage, segment: number, deviceId: number): number {
  const u = cov.unitOf.get(sbdfKey(segment, deviceId));
  if (u !== undefined) return u;
  return ivhds.findIndex((h, i) => cov.coversAll[i] && h.segment === segment);
}
