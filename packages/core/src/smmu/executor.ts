// SPDX-License-Identifier: Apache-2.0
// What the SMMU does with each command it consumes (IHI 0070 G.b §4.3 configuration invalidation,
// §4.4 TLB invalidation, §4.5 ATC invalidation, §4.6 PRI and stall, §4.7 CMD_SYNC): a table of
// small handlers by opcode, each returning a CERROR code. Commands the queue may not carry here
// (EL3 invalidation on the Non-secure queue, stage-2 or EL2 ones the SMMU lacks, unknown opcodes)
// are CERROR_ILL.
//
// Range invalidation (IDR3.RIL, §4.4.1): a TLBI with TG != 0 covers (NUM + 1) x 2^SCALE pages of
// the TG granule from ADDR; with TG = 0, or on an SMMU without RIL (the fields are RES0), it names
// the one address. TTL is a hint the model does not need (it invalidates every size).

import type { Iotlb } from '../caches/iotlb';
import type { PhysMemory } from '../memory/phys-memory';
import {
  HW_DEVICE_IOTLB_INV,
  HW_IOTLB_ENTRIES_INVALIDATED,
  HW_TLB_INVALIDATIONS,
  type HwCounters,
} from '../stats/hw-counters';
import { CERROR, type CommandHandler } from './command-queue';
import { ATC_INV_SIZE_ALL, CMD_OPCODE, CMD_W, OP, SYNC_CS, waddr, wfield, wmsiAddr } from './commands';
import { type ContextMatch, CTX_KIND, type TlbContexts } from './tlb-contexts';
import type { SmmuTranslator } from './translate';

export interface PriResponse {
  sid: number;
  ssid: number;
  grpid: number;
  resp: number;
}

export interface ExecutorEnv {
  mem: PhysMemory;
  translator: SmmuTranslator;
  contexts: TlbContexts;
  atc: Map<number, Iotlb>;
  counters: HwCounters;
  stage2: boolean;
  hyp: boolean;
  rangeInvalidation: boolean;
  /** PRI responses sent to devices (CMD_PRI_RESP), oldest first. */
  priResponses: PriResponse[];
}

/** PRI responses kept for the devices to read (the oldest are dropped: bounded by a constant, STYLE item 16). */
export const MAX_PRI_RESPONSES = 1024;

const S1_KINDS = [CTX_KIND.S1, CTX_KIND.NESTED];
const ALL_KINDS = [CTX_KIND.S1, CTX_KIND.S2, CTX_KIND.NESTED];

export function makeCommandHandler(env: ExecutorEnv): CommandHandler {
  const t = env.translator;
  const cnt = env.counters.c;
  const { TLBI: T, CFGI: C, ATC: A, PRI: P, SYNC: S, PREFETCH: F } = CMD_W;
  /** The TLBI's range in bytes (TG = 0 or no RIL: every entry over the address's page). */
  const bytesOf = (w: Uint32Array): number => {
    const tg = wfield(w, T.TG);
    if (!env.rangeInvalidation || tg === 0) return 4096;
    return (wfield(w, T.NUM) + 1) * 2 ** (wfield(w, T.SCALE) + (tg === 1 ? 12 : tg === 2 ? 14 : 16));
  };
  // Every TLBI is counted (HW_TLB_INVALIDATIONS): a later CMD_SYNC completes only once the TBUs
  // have dropped what it names (§4.7), which the cost model prices per TLBI (invTlbiSync).
  const all = (m: ContextMatch) => {
    cnt[HW_TLB_INVALIDATIONS]!++;
    cnt[HW_IOTLB_ENTRIES_INVALIDATED]! += env.contexts.invalidateContexts(m);
    return CERROR.NONE;
  };
  const range = (m: ContextMatch, w: Uint32Array) => {
    const leaf = wfield(w, T.LEAF) === 1;
    cnt[HW_TLB_INVALIDATIONS]!++;
    cnt[HW_IOTLB_ENTRIES_INVALIDATED]! += env.contexts.invalidateRange(m, waddr(w), bytesOf(w), leaf);
    return CERROR.NONE;
  };
  const asid = (w: Uint32Array) => wfield(w, T.ASID);
  const vmid = (w: Uint32Array) => wfield(w, T.VMID);
  const needS2 =
    (fn: CommandHandler): CommandHandler =>
    (w) =>
      env.stage2 ? fn(w) : CERROR.ILL;
  const needHyp =
    (fn: CommandHandler): CommandHandler =>
    (w) =>
      env.hyp ? fn(w) : CERROR.ILL;
  const done =
    (fn: (w: Uint32Array) => void): CommandHandler =>
    (w) => {
      fn(w);
      return CERROR.NONE;
    };

  const handlers: Record<number, CommandHandler> = {
    [OP.PREFETCH_CONFIG]: done((w) => t.prefetch(wfield(w, F.SID))),
    [OP.PREFETCH_ADDR]: () => CERROR.NONE,
    [OP.CFGI_STE]: done((w) => t.invalidateStream(wfield(w, C.SID))),
    [OP.CFGI_STE_RANGE]: done((w) => {
      const span = 2 ** (wfield(w, C.RANGE) + 1);
      if (span >= 2 ** 32) t.invalidateAll();
      else t.invalidateStreams(Math.floor(wfield(w, C.SID) / span) * span, span);
    }),
    [OP.CFGI_CD]: done((w) => t.invalidateCd(wfield(w, C.SID), wfield(w, C.SSID))),
    [OP.CFGI_CD_ALL]: done((w) => t.invalidateStream(wfield(w, C.SID))),
    [OP.CFGI_VMS_PIDM]: () => CERROR.NONE,
    [OP.TLBI_NH_ALL]: (w) => all({ el2: false, kinds: S1_KINDS, vmid: vmid(w) }),
    [OP.TLBI_NH_ASID]: (w) => all({ el2: false, kinds: S1_KINDS, asid: asid(w), vmid: vmid(w) }),
    [OP.TLBI_NH_VA]: (w) => range({ el2: false, kinds: S1_KINDS, asid: asid(w), vmid: vmid(w) }, w),
    [OP.TLBI_NH_VAA]: (w) => range({ el2: false, kinds: S1_KINDS, vmid: vmid(w) }, w),
    [OP.TLBI_EL2_ALL]: needHyp(() => all({ el2: true, kinds: S1_KINDS })),
    [OP.TLBI_EL2_ASID]: needHyp((w) => all({ el2: true, kinds: S1_KINDS, asid: asid(w) })),
    [OP.TLBI_EL2_VA]: needHyp((w) => range({ el2: true, kinds: S1_KINDS, asid: asid(w) }, w)),
    [OP.TLBI_EL2_VAA]: needHyp((w) => range({ el2: true, kinds: S1_KINDS }, w)),
    [OP.TLBI_S12_VMALL]: needS2((w) => all({ el2: false, kinds: ALL_KINDS, vmid: vmid(w) })),
    [OP.TLBI_S2_IPA]: needS2((w) => range({ el2: false, kinds: [CTX_KIND.S2], vmid: vmid(w) }, w)),
    [OP.TLBI_NSNH_ALL]: () => all({ el2: false, kinds: ALL_KINDS }),
    [OP.ATC_INV]: done((w) => {
      cnt[HW_DEVICE_IOTLB_INV]!++;
      const atc = env.atc.get(wfield(w, A.SID));
      if (atc === undefined) return;
      const size = wfield(w, A.SIZE);
      // Without SSV every entry in the range goes, whatever its PASID (Linux arm_smmu_atc_inv_to_cmd()).
      const pasid = wfield(w, A.SSV) ? wfield(w, A.SSID) + 1 : -1;
      if (size >= ATC_INV_SIZE_ALL) atc.invalidateAll();
      else {
        const span = 2 ** (size + 12);
        atc.invalidateRange(0, pasid, Math.floor(waddr(w) / span) * span, size + 12);
      }
    }),
    [OP.PRI_RESP]: done((w) => {
      if (env.priResponses.length >= MAX_PRI_RESPONSES) env.priResponses.shift();
      env.priResponses.push({
        sid: wfield(w, P.SID),
        ssid: wfield(w, P.SSV) ? wfield(w, P.SSID) : -1,
        grpid: wfield(w, P.PRGI),
        resp: wfield(w, P.RESP),
      });
    }),
    [OP.RESUME]: () => CERROR.NONE, // no stalled transactions: this SMMU terminates
    [OP.STALL_TERM]: () => CERROR.NONE,
    // CS = IRQ: the completion MSI writes MSIDATA to MSIADDR (Linux's MSI polling points it at the command).
    [OP.SYNC]: done((w) => {
      if (wfield(w, S.CS) === SYNC_CS.IRQ) env.mem.writeU32(wmsiAddr(w), wfield(w, S.MSIDATA));
    }),
  };
  return (w) => {
    const h = handlers[wfield(w, CMD_OPCODE)];
    return h === undefined ? CERROR.ILL : h(w);
  };
}
