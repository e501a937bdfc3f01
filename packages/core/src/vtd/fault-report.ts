// SPDX-License-Identifier: Apache-2.0
// A translation fault of a VT-d unit, legacy or scalable mode: the TranslationFault value the
// caller sees, the hardware fault counter, and the primary fault record (§7.2.1) unless the
// context's FPD suppresses recording (§7.1.1). Split out of vtd/unit.ts (issue #20).

import type { DmaRequest, TranslationOut } from '../iommu/translation';
import { HW_FAULTS } from '../stats/hw-counters';
import { dmarFaultLine, type FaultRecorder, faultReasonText } from './faults';

/** Fills `out` with the fault `reason` of `req` in domain `did`; records it when `record`. */
export function reportVtdFault(
  cnt: Float64Array,
  faults: FaultRecorder,
  req: DmaRequest,
  out: TranslationOut,
  reason: number,
  did: number,
  record: boolean,
): void {
  cnt[HW_FAULTS]!++;
  const page = Math.floor(req.address / 4096) * 4096;
  out.ok = false;
  out.fault = {
    unit: 'vtd',
    reason,
    reasonText: faultReasonText(reason),
    sourceId: req.sourceId,
    segment: req.segment,
    address: page,
    write: req.write,
    pasid: req.pasid,
    domainId: did,
    flags: 0,
    logLine: dmarFaultLine({ sourceId: req.sourceId, address: page, reason, write: req.write, pasid: req.pasid }),
  };
  if (record) faults.record({ fi: page, sid: req.sourceId, fr: reason, t: req.write ? 0 : 1, pasid: req.pasid });
}
