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
import { HW_DEVICE_IOTLB_INV, HW_IOTLB_ENTRIES_INVALIDATED, type HwCounters } from '../stats/hw-counters';
import { CERROR, type CommandHandler } from './command-queue';
import {
  ATC_INV_SIZE_ALL,
  CMD_ATC_INV,
  CMD_CFGI,
  CMD_PREFETCH,
  CMD_PRI_RESP,
  CMD_SYNC,
  CMD_TLBI,
  field,
  OP,
  opcodeOf,
  SYNC_CS,
  tlbiRangeBytes,
} from './commands';
import { type ContextMatch, CTX_NESTED, CTX_S1, CTX_S2, type TlbContexts } from './tlb-contexts';
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

const S1_KINDS = [CTX_S1, CTX_NESTED];
const ALL_KINDS = [CTX_S1, CTX_S2, CTX_NESTED];

export function makeCommandHandler(env: ExecutorEnv): CommandHandler {
  const t = env.translator;
  const cnt = env.counters.c;
  const tlbi = (cmd: bigint): { asid: number; vmid: number; addr: number; bytes: number; leaf: boolean } => {
    const bytes = env.rangeInvalidation ? tlbiRangeBytes(cmd) : 0;
    return {
      asid: field(cmd, CMD_TLBI, 'ASID'),
      vmid: field(cmd, CMD_TLBI, 'VMID'),
      addr: field(cmd, CMD_TLBI, 'ADDR') * 4096,
      bytes: bytes > 0 ? bytes : 4096, // one address: every entry over its page
      leaf: field(cmd, CMD_TLBI, 'LEAF') === 1,
    };
  };
  const all = (m: ContextMatch) => {
    cnt[HW_IOTLB_ENTRIES_INVALIDATED]! += env.contexts.invalidateContexts(m);
    return CERROR.NONE;
  };
  const range = (m: ContextMatch, f: ReturnType<typeof tlbi>) => {
    cnt[HW_IOTLB_ENTRIES_INVALIDATED]! += env.contexts.invalidateRange(m, f.addr, f.bytes, f.leaf);
    return CERROR.NONE;
  };
  const needS2 = (fn: (cmd: bigint) => number) => (cmd: bigint) => (env.stage2 ? fn(cmd) : CERROR.ILL);
  const needHyp = (fn: (cmd: bigint) => number) => (cmd: bigint) => (env.hyp ? fn(cmd) : CERROR.ILL);

  const handlers: Record<number, (cmd: bigint) => number> = {
    [OP.PREFETCH_CONFIG]: (cmd) => {
      t.prefetch(field(cmd, CMD_PREFETCH, 'SID'));
      return CERROR.NONE;
    },
    [OP.PREFETCH_ADDR]: () => CERROR.NONE,
    [OP.CFGI_STE]: (cmd) => {
      t.invalidateStream(field(cmd, CMD_CFGI, 'SID'));
      return CERROR.NONE;
    },
    [OP.CFGI_STE_RANGE]: (cmd) => {
      const span = 2 ** (field(cmd, CMD_CFGI, 'RANGE') + 1);
      if (span >= 2 ** 32) t.invalidateAll();
      else {
        const first = Math.floor(field(cmd, CMD_CFGI, 'SID') / span) * span;
        for (let sid = first; sid < first + span; sid++) t.invalidateStream(sid);
      }
      return CERROR.NONE;
    },
    [OP.CFGI_CD]: (cmd) => {
      t.invalidateCd(field(cmd, CMD_CFGI, 'SID'), field(cmd, CMD_CFGI, 'SSID'));
      return CERROR.NONE;
    },
    [OP.CFGI_CD_ALL]: (cmd) => {
      t.invalidateStream(field(cmd, CMD_CFGI, 'SID'));
      return CERROR.NONE;
    },
    [OP.CFGI_VMS_PIDM]: () => CERROR.NONE,
    [OP.TLBI_NH_ALL]: (cmd) => all({ el2: false, kinds: S1_KINDS, vmid: field(cmd, CMD_TLBI, 'VMID') }),
    [OP.TLBI_NH_ASID]: (cmd) => {
      const f = tlbi(cmd);
      return all({ el2: false, kinds: S1_KINDS, asid: f.asid, vmid: f.vmid });
    },
    [OP.TLBI_NH_VA]: (cmd) => {
      const f = tlbi(cmd);
      return range({ el2: false, kinds: S1_KINDS, asid: f.asid, vmid: f.vmid }, f);
    },
    [OP.TLBI_NH_VAA]: (cmd) => {
      const f = tlbi(cmd);
      return range({ el2: false, kinds: S1_KINDS, vmid: f.vmid }, f);
    },
    [OP.TLBI_EL2_ALL]: needHyp(() => all({ el2: true, kinds: S1_KINDS })),
    [OP.TLBI_EL2_ASID]: needHyp((cmd) => all({ el2: true, kinds: S1_KINDS, asid: tlbi(cmd).asid })),
    [OP.TLBI_EL2_VA]: needHyp((cmd) => {
      const f = tlbi(cmd);
      return range({ el2: true, kinds: S1_KINDS, asid: f.asid }, f);
    }),
    [OP.TLBI_EL2_VAA]: needHyp((cmd) => range({ el2: true, kinds: S1_KINDS }, tlbi(cmd))),
    [OP.TLBI_S12_VMALL]: needS2((cmd) => all({ el2: false, kinds: ALL_KINDS, vmid: tlbi(cmd).vmid })),
    [OP.TLBI_S2_IPA]: needS2((cmd) => {
      const f = tlbi(cmd);
      return range({ el2: false, kinds: [CTX_S2], vmid: f.vmid }, f);
    }),
    [OP.TLBI_NSNH_ALL]: () => all({ el2: false, kinds: ALL_KINDS }),
    [OP.ATC_INV]: (cmd) => {
      const atc = env.atc.get(field(cmd, CMD_ATC_INV, 'SID'));
      cnt[HW_DEVICE_IOTLB_INV]!++;
      if (atc === undefined) return CERROR.NONE;
      const size = field(cmd, CMD_ATC_INV, 'SIZE');
      // Without SSV every entry in the range goes, whatever its PASID (Linux arm_smmu_atc_inv_to_cmd()).
      const pasid = field(cmd, CMD_ATC_INV, 'SSV') ? field(cmd, CMD_ATC_INV, 'SSID') + 1 : -1;
      if (size >= ATC_INV_SIZE_ALL) atc.invalidateAll();
      else {
        const span = 2 ** (size + 12);
        atc.invalidateRange(0, pasid, Math.floor((field(cmd, CMD_ATC_INV, 'ADDR') * 4096) / span) * span, size + 12);
      }
      return CERROR.NONE;
    },
    [OP.PRI_RESP]: (cmd) => {
      env.priResponses.push({
        sid: field(cmd, CMD_PRI_RESP, 'SID'),
        ssid: field(cmd, CMD_PRI_RESP, 'SSV') ? field(cmd, CMD_PRI_RESP, 'SSID') : -1,
        grpid: field(cmd, CMD_PRI_RESP, 'PRGI'),
        resp: field(cmd, CMD_PRI_RESP, 'RESP'),
      });
      return CERROR.NONE;
    },
    [OP.RESUME]: () => CERROR.NONE, // no stalled transactions: this SMMU terminates
    [OP.STALL_TERM]: () => CERROR.NONE,
    [OP.SYNC]: (cmd) => {
      // CS = IRQ: the completion MSI writes MSIDATA to MSIADDR (Linux's MSI polling points it at the command).
      if (field(cmd, CMD_SYNC, 'CS') === SYNC_CS.IRQ)
        env.mem.writeU32(field(cmd, CMD_SYNC, 'MSIADDR') * 4, field(cmd, CMD_SYNC, 'MSIDATA'));
      return CERROR.NONE;
    },
  };
  return (cmd) => {
    const h = handlers[opcodeOf(cmd)];
    return h === undefined ? CERROR.ILL : h(cmd);
  };
}
