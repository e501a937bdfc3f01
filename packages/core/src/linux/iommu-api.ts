// SPDX-License-Identifier: Apache-2.0
// Vendor-neutral calls on an IOMMU unit, for code above the drivers (the host model, the SDK's
// test environment) that holds a VT-d, an AMD-Vi or an Arm SMMUv3 unit: the model of the core's
// iommu_ops (domain_alloc_paging, attach_dev, identity/blocked domains) without the vendor types.

import { AmdViDomain } from '../amd/domain';
import { AmdViUnit } from '../amd/unit';
import { CoreError } from '../errors';
import type { IommuDomainOps } from '../iommu/domain-ops';
import { SmmuDomain } from '../smmu/domain';
import { SmmuV3Unit } from '../smmu/unit';
import { VtdDomain } from '../vtd/domain';
import type { VtdUnit } from '../vtd/unit';

export type IommuUnit = VtdUnit | AmdViUnit | SmmuV3Unit;
export type AttachTarget = IommuDomainOps | 'passthrough' | 'blocked';

/** A paging domain on `unit`: 'dma' for the DMA API, 'unmanaged' for VFIO and other users. */
export function unitCreateDomain(unit: IommuUnit, kind: 'dma' | 'unmanaged'): IommuDomainOps {
  return unit.createDomain(kind);
}

/**
 * Points `requesterId`'s context / device-table entry at `target` (a domain of the same unit). For
 * an SMMUv3 the id is the StreamID (the IORT mapping of the requester ID).
 */
export function unitAttachDevice(
  unit: IommuUnit,
  requesterId: number,
  target: AttachTarget,
  /** `name`: the device's dev_name(), which an SMMUv3's event lines print as the client. */
  opts: { ats?: boolean; name?: string } = {},
): void {
  if (unit instanceof SmmuV3Unit) {
    if (typeof target !== 'string' && !(target instanceof SmmuDomain))
      throw new CoreError('INVALID_ARGUMENT', `${unit.name}: cannot attach a domain of another IOMMU type`);
    unit.attachDevice(requesterId, target, opts);
    return;
  }
  opts = opts.ats === undefined ? {} : { ats: opts.ats };
  if (unit instanceof AmdViUnit) {
    if (typeof target !== 'string' && !(target instanceof AmdViDomain))
      throw new CoreError('INVALID_ARGUMENT', `${unit.name}: cannot attach a domain of another IOMMU type`);
    unit.attachDevice(requesterId, target, opts);
    return;
  }
  if (typeof target !== 'string' && !(target instanceof VtdDomain))
    throw new CoreError('INVALID_ARGUMENT', `${unit.name}: cannot attach a domain of another IOMMU type`);
  unit.attachDevice(requesterId, target, opts);
}

/** Frees a paging domain no device is attached to; its id is reused by the next domain. */
export function unitFreeDomain(unit: IommuUnit, domain: IommuDomainOps): void {
  if (unit instanceof SmmuV3Unit) {
    if (!(domain instanceof SmmuDomain)) throw new CoreError('INVALID_ARGUMENT', `${unit.name}: not an SMMUv3 domain`);
    unit.freeDomain(domain);
    return;
  }
  if (unit instanceof AmdViUnit) {
    if (!(domain instanceof AmdViDomain)) throw new CoreError('INVALID_ARGUMENT', `${unit.name}: not an AMD-Vi domain`);
    unit.freeDomain(domain);
    return;
  }
  if (!(domain instanceof VtdDomain)) throw new CoreError('INVALID_ARGUMENT', `${unit.name}: not a VT-d domain`);
  unit.freeDomain(domain);
}
