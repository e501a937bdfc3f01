// SPDX-License-Identifier: Apache-2.0
// The SMMUv3 event queue (IHI 0070 G.b §7.2 "Event queue", §7.3 "Event records"): 32-byte records
// the SMMU writes at EVTQ_PROD into a ring in memory, and the lines Linux prints when it consumes
// them. Linux version followed: the event logging of arm_smmu_evtq_thread() ->
// arm_smmu_decode_event() / arm_smmu_dump_event() (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c,
// Linux v6.15 and later): "event 0x%02x received:" and the four raw dwords, then a decoded line
// per event class. Events Linux's event_str[] does not name (F_WALK_EABT, F_BAD_ATS_TREQ...) print
// as "UNKNOWN", as Linux does; the printk rate limit (10 lines per 5 s) is not modelled.

import { type FieldName, getField, getNumber, pack } from '../bits/bitfield';
import type { PhysMemory } from '../memory/phys-memory';
import { EVT_RECORD } from './fields';

export const EVT_BYTES = 32;

/** Event types (§7.3, Table 7-1; Linux EVT_ID_*). */
export const EVT = {
  F_UUT: 0x01,
  C_BAD_STREAMID: 0x02,
  F_STE_FETCH: 0x03,
  C_BAD_STE: 0x04,
  F_BAD_ATS_TREQ: 0x05,
  F_STREAM_DISABLED: 0x06,
  F_TRANSL_FORBIDDEN: 0x07,
  C_BAD_SUBSTREAMID: 0x08,
  F_CD_FETCH: 0x09,
  C_BAD_CD: 0x0a,
  F_WALK_EABT: 0x0b,
  F_TRANSLATION: 0x10,
  F_ADDR_SIZE: 0x11,
  F_ACCESS: 0x12,
  F_PERMISSION: 0x13,
  F_TLB_CONFLICT: 0x20,
  F_CFG_CONFLICT: 0x21,
  E_PAGE_REQUEST: 0x24,
  F_VMS_FETCH: 0x25,
} as const;

/** The spec's name of every event type. */
export const EVT_NAME: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(EVT).map(([k, v]) => [v, k]),
);

/** The names Linux's event_str[] knows; anything else prints as "UNKNOWN". */
const LINUX_EVENT_STR = new Set<number>([
  EVT.C_BAD_STREAMID,
  EVT.F_STE_FETCH,
  EVT.C_BAD_STE,
  EVT.F_STREAM_DISABLED,
  EVT.C_BAD_SUBSTREAMID,
  EVT.F_CD_FETCH,
  EVT.C_BAD_CD,
  EVT.F_TRANSLATION,
  EVT.F_ADDR_SIZE,
  EVT.F_ACCESS,
  EVT.F_PERMISSION,
  EVT.F_VMS_FETCH,
]);
/** Linux event_class_str[] (EVTQ_1_CLASS). */
const EVENT_CLASS_STR = ['CD fetch', 'Stage 1 translation table fetch', 'Input address caused fault', 'Reserved'];
export const EVT_CLASS = { CD: 0, TT: 1, IN: 2 } as const;

export interface SmmuEvent {
  type: number;
  sid: number;
  /** SubstreamID, or -1 when the transaction had none (SSV = 0). */
  ssid: number;
  read: boolean;
  s2: boolean;
  class: number;
  inputAddr: number;
  /** IPA of a stage-2 fault (bits 51:12 recorded), 0 otherwise. */
  ipa: number;
  /** Address of the structure whose fetch failed (F_STE_FETCH, F_CD_FETCH, F_WALK_EABT). */
  fetchAddr: number;
  /** CLASS = TT: the stage-1 table access stage 2 refused was a read (TTRnW). */
  ttRead?: boolean;
}

const FETCH_EVENTS = new Set<number>([EVT.F_STE_FETCH, EVT.F_CD_FETCH, EVT.F_VMS_FETCH, EVT.F_WALK_EABT]);
const ADDRESS_EVENTS = new Set<number>([EVT.F_TRANSLATION, EVT.F_ADDR_SIZE, EVT.F_ACCESS, EVT.F_PERMISSION]);

export function encodeEvent(e: SmmuEvent): bigint {
  const fields: Record<string, bigint | number> = {
    TYPE: e.type,
    SSV: e.ssid >= 0 ? 1 : 0,
    SSID: Math.max(e.ssid, 0),
    SID: e.sid,
  };
  if (ADDRESS_EVENTS.has(e.type) || e.type === EVT.F_WALK_EABT) {
    fields.RnW = e.read ? 1 : 0;
    fields.S2 = e.s2 ? 1 : 0;
    fields.CLASS = e.class;
    fields.InputAddr = BigInt(e.inputAddr);
    if (e.class === EVT_CLASS.TT) fields.TTRnW = e.ttRead ? 1 : 0;
  }
  if (e.type === EVT.F_BAD_ATS_TREQ) fields.InputAddr = BigInt(e.inputAddr);
  if (ADDRESS_EVENTS.has(e.type) && e.s2) fields.IPA = BigInt(Math.floor(e.ipa / 4096));
  if (FETCH_EVENTS.has(e.type)) fields.FetchAddr = BigInt(Math.floor(e.fetchAddr / 8));
  return pack(EVT_RECORD, fields);
}

/** %#x / %#llx: "0" for zero, else "0x..." (C's alternate form). */
function altHex(n: number | bigint): string {
  return n === 0 || n === 0n ? '0' : `0x${n.toString(16)}`;
}

/**
 * The lines Linux prints for one record: arm_smmu_dump_raw_event() then arm_smmu_dump_event().
 * `dev` is the SMMU's device name, `client` the master's (dev_name) or undefined for an SID no
 * master owns ("(unassigned sid)").
 */
export function linuxEventLines(raw: bigint, dev: string, client: string | undefined): string[] {
  const p = `arm-smmu-v3 ${dev}: `;
  const g = (name: FieldName<typeof EVT_RECORD>) => getField(raw, EVT_RECORD, name);
  const id = Number(g('TYPE'));
  const lines = [`${p}event 0x${id.toString(16).padStart(2, '0')} received:`];
  for (let q = 0; q < 4; q++)
    lines.push(`${p}\t0x${((raw >> BigInt(64 * q)) & 0xffff_ffff_ffff_ffffn).toString(16).padStart(16, '0')}`);
  const name = LINUX_EVENT_STR.has(id) ? EVT_NAME[id]! : 'UNKNOWN';
  const who = `client: ${client ?? '(unassigned sid)'} sid: ${altHex(g('SID'))} ssid: ${altHex(g('SSV') ? g('SSID') : 0n)}`;
  const dword3 = raw >> 192n;
  if (ADDRESS_EVENTS.has(id)) {
    const ipa = dword3 & 0x000f_ffff_ffff_f000n;
    lines.push(`${p}event: ${name} ${who} iova: ${altHex(g('InputAddr'))} ipa: ${altHex(ipa)}`);
    const cls = Number(g('CLASS'));
    const classTt = id === EVT.F_PERMISSION && cls === EVT_CLASS.TT;
    const ttd = classTt ? (g('TTRnW') ? ' ttd_read' : ' ttd_write') : '';
    lines.push(
      `${p}${g('PnU') ? 'priv' : 'unpriv'} ${g('InD') ? 'inst' : 'data'} ${g('RnW') ? 'read' : 'write'} ` +
        `${g('S2') ? 's2' : 's1'} "${EVENT_CLASS_STR[cls]}"${ttd}${g('STALL') ? ' stall' : ''} stag: ${altHex(g('STAG'))}`,
    );
  } else if (id === EVT.F_STE_FETCH || id === EVT.F_CD_FETCH || id === EVT.F_VMS_FETCH) {
    lines.push(`${p}event: ${name} ${who} fetch_addr: ${altHex(dword3 & 0x000f_ffff_ffff_fff8n)}`);
  } else {
    lines.push(`${p}event: ${name} ${who}`);
  }
  return lines;
}

/** The ring: the SMMU writes at PROD, Linux reads at CONS; a full queue drops the event and flags overflow. */
export class EventQueue {
  readonly basePa: number;
  readonly entries: number;
  private prod = 0;
  private cons = 0;
  /** EVTQ_PROD.OVFLG has toggled since Linux last acknowledged it. */
  overflow = false;
  recorded = 0;
  lost = 0;

  constructor(
    private readonly mem: PhysMemory,
    readonly log2Entries: number,
  ) {
    this.entries = 2 ** log2Entries;
    this.basePa = mem.allocTableBlock(Math.max(1, (this.entries * EVT_BYTES) / 4096));
  }

  get pending(): number {
    return (this.prod - this.cons + 2 * this.entries) % (2 * this.entries);
  }

  /** The SMMU's side: one record, or a lost event when the queue is full (§7.2.2). */
  append(e: SmmuEvent): boolean {
    if (this.pending === this.entries) {
      this.overflow = true;
      this.lost++;
      return false;
    }
    this.mem.writeWide(this.basePa + (this.prod % this.entries) * EVT_BYTES, EVT_BYTES, encodeEvent(e));
    this.prod = (this.prod + 1) % (2 * this.entries);
    this.recorded++;
    return true;
  }

  /** Linux's arm_smmu_evtq_thread(): every pending record, decoded and printed; then the overflow line. */
  drain(dev: string, clientOf: (sid: number) => string | undefined): string[] {
    const lines: string[] = [];
    while (this.cons !== this.prod) {
      const raw = this.mem.readWide(this.basePa + (this.cons % this.entries) * EVT_BYTES, EVT_BYTES);
      lines.push(...linuxEventLines(raw, dev, clientOf(getNumber(raw, EVT_RECORD, 'SID'))));
      this.cons = (this.cons + 1) % (2 * this.entries);
    }
    if (this.overflow) lines.push(`arm-smmu-v3 ${dev}: EVTQ overflow detected -- events lost`);
    this.overflow = false;
    return lines;
  }
}
