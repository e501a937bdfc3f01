// SPDX-License-Identifier: Apache-2.0
// Event records (IHI 0070 §7.3) and the lines Linux v6.15+ prints for them
// (arm_smmu_dump_raw_event() and arm_smmu_dump_event(), "%#x" printing 0 as "0").

import { describe, expect, it } from 'vitest';
import { PhysMemory } from '../memory/phys-memory';
import { EVT, EVT_CLASS, EventQueue, encodeEvent, linuxEventLines, type SmmuEvent } from './event-queue';

const DEV = 'arm-smmu-v3.0.auto';
const P = `arm-smmu-v3 ${DEV}: `;
const base: SmmuEvent = {
  type: EVT.F_TRANSLATION,
  sid: 0x100,
  ssid: -1,
  read: true,
  s2: false,
  class: EVT_CLASS.IN,
  inputAddr: 0x1_0000,
  ipa: 0,
  fetchAddr: 0,
};

describe('SMMUv3 event records and Linux lines', () => {
  it('prints a stage-1 translation fault: the raw record, then the decoded pair', () => {
    expect(linuxEventLines(encodeEvent(base), DEV, '0000:01:00.0')).toEqual([
      `${P}event 0x10 received:`,
      `${P}\t0x0000010000000010`,
      `${P}\t0x0000020800000000`, // RnW (bit 35), CLASS = IN (bits 41:40)
      `${P}\t0x0000000000010000`,
      `${P}\t0x0000000000000000`,
      `${P}event: F_TRANSLATION client: 0000:01:00.0 sid: 0x100 ssid: 0 iova: 0x10000 ipa: 0`,
      `${P}unpriv data read s1 "Input address caused fault" stag: 0`,
    ]);
  });

  it('prints stage-2 permission faults on a table read (ttd_read), SubstreamIDs and unassigned SIDs', () => {
    const e = {
      ...base,
      type: EVT.F_PERMISSION,
      read: false,
      s2: true,
      class: EVT_CLASS.TT,
      ipa: 0x8_0000_1234,
      ssid: 5,
      ttRead: true,
    };
    const lines = linuxEventLines(encodeEvent(e), DEV, undefined);
    expect(lines[5]).toBe(
      `${P}event: F_PERMISSION client: (unassigned sid) sid: 0x100 ssid: 0x5 iova: 0x10000 ipa: 0x800001000`,
    );
    expect(lines[6]).toBe(`${P}unpriv data write s2 "Stage 1 translation table fetch" ttd_read stag: 0`);
  });

  it('prints fetch faults with their address, other known events plainly, and unnamed ones as UNKNOWN', () => {
    const fetch = linuxEventLines(encodeEvent({ ...base, type: EVT.F_STE_FETCH, fetchAddr: 0x7_0000_0208 }), DEV, 'x');
    expect(fetch[5]).toBe(`${P}event: F_STE_FETCH client: x sid: 0x100 ssid: 0 fetch_addr: 0x700000208`);
    expect(linuxEventLines(encodeEvent({ ...base, type: EVT.C_BAD_STE }), DEV, 'x')[5]).toBe(
      `${P}event: C_BAD_STE client: x sid: 0x100 ssid: 0`,
    );
    const eabt = linuxEventLines(encodeEvent({ ...base, type: EVT.F_WALK_EABT }), DEV, 'x');
    expect([eabt[0], eabt[5]]).toEqual([`${P}event 0x0b received:`, `${P}event: UNKNOWN client: x sid: 0x100 ssid: 0`]);
  });

  it('drops events when the queue is full and says so once Linux drains it', () => {
    const q = new EventQueue(new PhysMemory(), 2); // 4 entries
    for (let i = 0; i < 6; i++) q.append({ ...base, sid: i });
    expect([q.recorded, q.lost, q.pending, q.overflow]).toEqual([4, 2, 4, true]);
    const lines = q.drain(DEV, () => undefined);
    expect(lines.filter((l) => l.includes('event: F_TRANSLATION')).map((l) => / sid: (\S+)/.exec(l)![1])).toEqual([
      '0',
      '0x1',
      '0x2',
      '0x3',
    ]);
    expect(lines.at(-1)).toBe(`${P}EVTQ overflow detected -- events lost`);
    expect([q.pending, q.overflow]).toEqual([0, false]);
    q.append({ ...base, sid: 9 });
    expect(q.drain(DEV, () => 'dev')).toHaveLength(7); // the ring wrapped
  });
});
