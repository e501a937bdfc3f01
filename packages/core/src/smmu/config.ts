// SPDX-License-Identifier: Apache-2.0
// What the SMMU makes of a StreamID's (and SubstreamID's) configuration: the STE (IHI 0070 G.b
// §5.2) and, for stage 1, the CD it selects (§5.4), checked as the specification's "ILLEGAL"
// conditions say and reduced to one record the configuration cache keeps (§16.2: an SMMU may cache
// STEs and CDs, invalid ones too, until CMD_CFGI_*). QEMU's decode_ste()/decode_cd()
// (hw/arm/smmuv3.c) were a cross-check for which fields make an STE or CD illegal.
//
// Not modelled: AArch32 tables (AA64 = 0 is C_BAD_STE / C_BAD_CD), big-endian tables, stall
// (S2S, S1STALLD, CD.S: this SMMU only terminates), TTB1 (CD.EPD1 is set by Linux), TBI,
// PRIVCFG/INSTCFG overrides, nested CD fetches needing a stage-2 permission other than read.

import type { PhysMemory } from '../memory/phys-memory';
import { armVmsav8Format } from '../page-table/arm-vmsav8';
import { newWalkOut, type PageTableFormat, WALK_OK } from '../page-table/format';
import { walk } from '../page-table/walk';
import { cdField, fetchCd } from './context-descriptor';
import { EVT, EVT_CLASS } from './event-queue';
import { OAS_BITS } from './registers';
import { S1DSS, STE_CONFIG, STRW, type StreamTable, startLevelOfSl0, steField, TG_LG2 } from './stream-table';
import { CTX_KIND, type TlbContexts } from './tlb-contexts';

/** What a configuration does with a transaction. */
export const CFG = {
  ABORT: 0,
  BYPASS: 1,
  TRANSLATE: 2,
  /** The configuration itself faults: every transaction records `event`. */
  FAULT: 3,
} as const;
export type CfgKind = (typeof CFG)[keyof typeof CFG];

export interface SmmuConfig {
  kind: CfgKind;
  /** CFG.FAULT: the event, and for fetch faults the address; for a stage-2 fault on a CD fetch, its IPA. */
  event: number;
  fetchAddr: number;
  faultS2: boolean;
  faultIpa: number;
  /** Stage-1 and stage-2 table formats and roots (null: the stage is bypassed). */
  s1: PageTableFormat | null;
  s1Root: number;
  /** CD.EPD0: stage-1 walks through TTB0 are disabled (Translation fault). */
  s1Disabled: boolean;
  s2: PageTableFormat | null;
  s2Root: number;
  asid: number;
  vmid: number;
  el2: boolean;
  /** TLB context (tlb-contexts.ts). */
  ctx: number;
  /** CD.R / STE.S2R: faults are recorded as events. */
  recordS1: boolean;
  recordS2: boolean;
  /** STE.EATS: ATS translation requests allowed. */
  eats: number;
  /** Memory reads the configuration fetch made (STE, L1 descriptors, CD, stage-2 walks of a nested CD). */
  reads: number;
}

/** What the configuration decoder needs from the unit. */
export interface ConfigEnv {
  mem: PhysMemory;
  streams: StreamTable;
  contexts: TlbContexts;
  stage1: boolean;
  stage2: boolean;
  granules: readonly number[];
  /** IDR5.OAS in bits; stage-1 input limit (48, or 52 with IDR5.VAX). */
  oas: number;
  vaBits: number;
  ssidBits: number;
  asidBits: number;
  vmidBits: number;
}

function empty(kind: CfgKind, event: number, reads: number): SmmuConfig {
  return {
    kind,
    event,
    fetchAddr: 0,
    faultS2: false,
    faultIpa: 0,
    s1: null,
    s1Root: 0,
    s1Disabled: false,
    s2: null,
    s2Root: 0,
    asid: 0,
    vmid: 0,
    el2: false,
    ctx: 0,
    recordS1: true,
    recordS2: true,
    eats: 0,
    reads,
  };
}

const formats = new Map<string, PageTableFormat>();
/** One format object per shape, shared by every unit (formats are immutable). */
function formatFor(stage: 1 | 2, g: number, inputBits: number, outputBits: number, levels: number, afIgnored: boolean) {
  const key = `${stage}:${g}:${inputBits}:${outputBits}:${levels}:${afIgnored}`;
  let f = formats.get(key);
  if (f === undefined) {
    const granule = g === 12 ? '4K' : g === 14 ? '16K' : '64K';
    f = armVmsav8Format({
      stage,
      granule,
      inputBits,
      outputBits,
      levels: levels || undefined,
      accessFlagIgnored: afIgnored,
    });
    formats.set(key, f);
  }
  return f;
}

/** Loads the configuration of (sid, ssid); ssid < 0 for a transaction without a SubstreamID. */
export function loadConfig(env: ConfigEnv, sid: number, ssid: number): SmmuConfig {
  const found = env.streams.lookup(sid);
  if (!found.ok) {
    const c = empty(CFG.FAULT, EVT[found.event], found.reads);
    c.fetchAddr = found.fetchAddr;
    return c;
  }
  const ste = found.ste;
  let reads = found.reads;
  const bad = (event: number) => empty(CFG.FAULT, event, reads);
  if (steField(ste, 'V') === 0) return bad(EVT.C_BAD_STE);
  const config = steField(ste, 'Config');
  if (config === STE_CONFIG.ABORT) return empty(CFG.ABORT, 0, reads);
  if (config === STE_CONFIG.BYPASS) return empty(CFG.BYPASS, 0, reads);
  if (config < STE_CONFIG.S1) return bad(EVT.C_BAD_STE); // 0b001-0b011 reserved
  const useS1 = (config & 1) !== 0;
  const useS2 = (config & 2) !== 0;
  if ((useS1 && !env.stage1) || (useS2 && !env.stage2)) return bad(EVT.C_BAD_STE);
  const c = empty(CFG.TRANSLATE, 0, reads);
  c.eats = steField(ste, 'EATS');
  c.el2 = steField(ste, 'STRW') === STRW.EL2;
  // StreamWorld EL2 exists only for stage-1-only translation (§5.2 STRW).
  if (useS2 && (c.el2 || !decodeS2(env, ste, c))) return bad(EVT.C_BAD_STE);
  if (useS1) {
    const r = decodeS1(env, ste, ssid, c);
    reads = c.reads;
    if (r !== 0) {
      const f = bad(r);
      f.fetchAddr = c.fetchAddr;
      f.faultS2 = c.faultS2;
      f.faultIpa = c.faultIpa;
      return f;
    }
  } else if (ssid >= 0) {
    return bad(EVT.C_BAD_SUBSTREAMID); // a SubstreamID with no stage 1 to select a CD
  }
  const kind = c.s1 && c.s2 ? CTX_KIND.NESTED : c.s1 ? CTX_KIND.S1 : CTX_KIND.S2;
  c.ctx = env.contexts.contextOf(kind, c.s1 ? c.asid : 0, c.vmid, c.el2);
  return c;
}

/** Stage-2 fields of the STE (§5.2 S2* and VTCR); false when they make the STE ILLEGAL. */
function decodeS2(env: ConfigEnv, ste: bigint, c: SmmuConfig): boolean {
  const g = TG_LG2[steField(ste, 'S2TG')];
  if (g === undefined || !env.granules.includes(g)) return false;
  if (steField(ste, 'S2AA64') === 0 || steField(ste, 'S2ENDI') === 1 || steField(ste, 'S2S') === 1) return false;
  const inputBits = 64 - steField(ste, 'S2T0SZ');
  const ps = OAS_BITS[steField(ste, 'S2PS')] ?? 0;
  const start = startLevelOfSl0(g, steField(ste, 'S2SL0'));
  const vmid = steField(ste, 'S2VMID');
  if (start < 0 || inputBits < 25 || inputBits > Math.min(env.oas, g === 16 ? 52 : 48) || vmid >= 2 ** env.vmidBits)
    return false;
  const levels = 4 - start;
  // The start level must hold the input: at most 16 concatenated tables, at least two entries' worth.
  const rootBits = inputBits - (g + (g - 3) * (levels - 1));
  if (rootBits < 1 || rootBits > g - 3 + 4) return false;
  c.s2 = formatFor(2, g, inputBits, Math.min(ps || env.oas, env.oas), levels, steField(ste, 'S2AFFD') === 1);
  c.s2Root = steField(ste, 'S2TTB') * 16;
  c.vmid = vmid;
  c.recordS2 = steField(ste, 'S2R') === 1;
  return true;
}

/** Stage-1 fields: the CD table, the CD this transaction selects and its TCR; an event code or 0. */
function decodeS1(env: ConfigEnv, ste: bigint, ssid: number, c: SmmuConfig): number {
  const s1cdmax = steField(ste, 'S1CDMax');
  if (s1cdmax > env.ssidBits) return EVT.C_BAD_STE;
  if (!c.s2) c.vmid = c.el2 ? 0 : steField(ste, 'S2VMID'); // stage-1-only STEs tag with S2VMID (Linux: 0)
  let index = ssid;
  if (ssid < 0) {
    // Non-substream traffic (§5.2 S1DSS): with S1CDMax = 0 always CD 0.
    const dss = s1cdmax === 0 ? S1DSS.SSID0 : steField(ste, 'S1DSS');
    if (dss === S1DSS.TERMINATE) return EVT.F_STREAM_DISABLED;
    if (dss === S1DSS.BYPASS) return 0; // stage 1 bypassed for this traffic
    index = 0;
  } else if (s1cdmax === 0) return EVT.C_BAD_SUBSTREAMID;
  let tablePa = steField(ste, 'S1ContextPtr') * 64;
  if (c.s2) {
    // Nested: the CD table pointer is an IPA (§3.3.2), read through stage 2.
    const w = newWalkOut();
    walk(env.mem, c.s2, c.s2Root, tablePa, 1, w);
    c.reads += w.levelsRead;
    if (w.status !== WALK_OK) {
      c.faultS2 = true;
      c.faultIpa = tablePa;
      return EVT.F_TRANSLATION; // a stage-2 fault of CLASS = CD
    }
    tablePa = w.pa;
  }
  const cdl = fetchCd(env.mem, tablePa, steField(ste, 'S1Fmt'), s1cdmax, index);
  c.reads += cdl.reads;
  if (!cdl.ok) {
    c.fetchAddr = cdl.fetchAddr;
    return EVT[cdl.event];
  }
  const cd = cdl.cd;
  const g = TG_LG2[cdField(cd, 'TG0')];
  const inputBits = 64 - cdField(cd, 'T0SZ');
  const asid = cdField(cd, 'ASID');
  if (cdField(cd, 'V') === 0 || cdField(cd, 'AA64') === 0 || g === undefined || !env.granules.includes(g))
    return EVT.C_BAD_CD;
  if (inputBits < 25 || inputBits > env.vaBits || asid >= 2 ** env.asidBits) return EVT.C_BAD_CD;
  // CD.IPS caps the stage-1 output (an IPA when nested, where stage 2 then checks its own input size).
  const ips = OAS_BITS[cdField(cd, 'IPS')] ?? env.oas;
  const afIgnored = cdField(cd, 'AFFD') === 1 || cdField(cd, 'HA') === 1;
  c.s1 = formatFor(1, g, inputBits, Math.min(ips, env.oas), 0, afIgnored);
  c.s1Root = cdField(cd, 'TTB0') * 16;
  c.s1Disabled = cdField(cd, 'EPD0') === 1;
  c.asid = asid;
  c.recordS1 = cdField(cd, 'R') === 1;
  return 0;
}

/** Event class of a configuration fault (CD fetch through stage 2) for the event record. */
export function configFaultClass(c: SmmuConfig): number {
  return c.faultS2 ? EVT_CLASS.CD : EVT_CLASS.IN;
}
