// SPDX-License-Identifier: Apache-2.0
// A real server's firmware IORT: HiSilicon Hi1620 (Kunpeng 920, D06), compiled by iasl from the
// edk2-platforms source (fixtures/edk2-platforms/README.md). It decodes, re-encodes byte-identical,
// validates with the findings the table really deserves (DEN 0049 "Number of IDs" is the count minus
// one, HiSilicon wrote the count; Memory Address Size Limit 0), and its requester IDs map to SMMU
// StreamIDs and ITS DeviceIDs as Linux's iort_node_map_id() maps them — expected values worked out
// by hand from the table, not from the code under test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeIort,
  encodeIort,
  IortIndex,
  iortNamedComponentDevice,
  iortNodeOffsets,
  iortPciDevice,
  iortPlatformMsi,
  listIort,
  validateChecksum,
  validateIort,
} from '../src/index';
import { FIX } from './fixture-files';

const FILE = join(FIX, 'edk2-platforms', 'Hi1620Iort.IORT.dat');
const bytes = () => new Uint8Array(readFileSync(FILE));
const ix = new IortIndex(decodeIort(bytes()));

// Table offsets of the nodes iasl laid out (the source's comments say the same: 0x34 ITS, 0x4C,
// 0xCC, 0x138, 0x1A4, 0x224, 0x290 SMMUv3, 0x2FC root complex).
const ITS = 0;
const SMMU_4C = 1;
const SMMU_CC = 2;
const SMMU_138 = 3;
const SMMU_1A4 = 4;
const SMMU_224 = 5;
const SMMU_290 = 6;
const RC = 7;
const RC_MAPS = 0x2fc + 0x24; // the root complex's ID mapping array; mapping k is at RC_MAPS + 20k
const NO_LIMIT_RC = 'ACPI: IORT: [Firmware Bug]: Root complex missing memory address limit';
const NO_LIMIT_NC = 'ACPI: IORT: [Firmware Bug]: Named component missing memory address limit';

describe('HiSilicon Hi1620 IORT (edk2-platforms, compiled by iasl 20200925)', () => {
  it('decodes: one ITS group, six SMMUv3, one root complex with 12 RID ranges, 51 named components', () => {
    const t = ix.table;
    expect(t.header).toMatchObject({ signature: 'IORT', length: 4344, revision: 0, oemId: 'HISI  ' });
    expect(t.header.oemTableId).toBe('HIP08   ');
    expect(t.nodeCount).toBe(59);
    expect(iortNodeOffsets(t).slice(0, 9)).toEqual([0x34, 0x4c, 0xcc, 0x138, 0x1a4, 0x224, 0x290, 0x2fc, 0x410]);
    expect(t.nodes.slice(0, 8).map((n) => n.name)).toEqual(['ITS_GROUP', ...Array(6).fill('SMMU_V3'), 'ROOT_COMPLEX']);
    expect(t.nodes.slice(8).every((n) => n.name === 'NAMED_COMPONENT')).toBe(true);
    expect(t.nodes[ITS]!.itsIds).toEqual([0]);
    expect(t.nodes.slice(1, 7).map((n) => [n.fields.BaseAddress, n.fields.ProximityDomain, n.fields.Flags])).toEqual([
      [0x1_4800_0000n, 0, 9],
      [0x1_0000_0000n, 0, 9],
      [0x1_4000_0000n, 0, 9],
      [0x4001_4800_0000n, 2, 9],
      [0x4001_0000_0000n, 2, 9],
      [0x4001_4000_0000n, 2, 9],
    ]);
    const rc = t.nodes[RC]!;
    expect(rc.revision).toBe(1);
    expect(rc.fields).toMatchObject({ PciSegmentNumber: 0, CacheCoherency: 1, MemoryAddressSizeLimit: 0 });
    expect(rc.mappings.map((m) => [m.inputBase, m.idCount, m.outputReference])).toEqual([
      [0x0000, 0x4000, 0x4c],
      [0x7b00, 0x100, 0x4c],
      [0x7a00, 0x100, 0x34],
      [0x7800, 0x200, 0x34],
      [0x7c00, 0x200, 0xcc],
      [0x7400, 0x300, 0x138],
      [0x8000, 0x2000, 0x1a4],
      [0xbb00, 0x100, 0x1a4],
      [0xba00, 0x100, 0x34],
      [0xb800, 0x200, 0x34],
      [0xbc00, 0x200, 0x224],
      [0xb400, 0x300, 0x290],
    ]);
    expect(t.nodes[8]!.deviceName).toBe('\\_SB_.MB30');
    expect(t.nodes.at(-1)!.deviceName).toBe('\\_SB_.MBI4');
  });

  it('keeps the stray bytes pasted into the SEC0 node’s padding', () => {
    const sec = ix.table.nodes.find((n) => n.deviceName === '\\_SB_.SEC0')!;
    expect(sec.mappingOffset).toBe(0x40);
    // NUL of the name, then the 24 "Padding" bytes of the source.
    expect(sec.gaps).toEqual([
      { offset: 39, bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x80, 0, 4, 0, 0x4c, 0, 0, 0, 1, 0, 0, 0] },
    ]);
  });

  it('encodes back to the same 4,344 bytes, with a valid checksum', () => {
    expect(Buffer.from(encodeIort(decodeIort(bytes()))).equals(Buffer.from(bytes()))).toBe(true);
    expect(validateChecksum(bytes(), 'IORT')).toEqual([]);
  });

  it('lists every node', () => {
    const text = listIort(ix.table);
    expect(text).toMatch(/^Node #7 at 02FCh\s+: 02 \[ROOT_COMPLEX\]/m);
    expect(text).toContain('Node #58 at');
    expect(text).toContain('\\_SB_.SEC0');
  });

  it('validates with the findings the table deserves and no error', () => {
    const f = validateIort(ix.table);
    expect(f.filter((x) => x.severity !== 'warning')).toEqual([]);
    // Memory Address Size Limit 0 in the root complex (revision 1) and in every named component.
    const noLimit = f.filter((x) => x.code === 'NO_MEMORY_LIMIT');
    expect(noLimit.map((x) => x.structure)).toEqual([RC, ...Array.from({ length: 51 }, (_, k) => 8 + k)]);
    expect(noLimit[0]!.message).toBe(`Linux: "${NO_LIMIT_RC}"`);
    expect(noLimit[1]!.message).toBe(`Linux: "${NO_LIMIT_NC}"`);
    // Each count is the number of IDs, so [base, base + count] of neighbouring hosts share an ID:
    // host 1 [7b00-7c00] touches host 2 [7a00-7b00] and host 4 [7c00-7e00]; host 2 touches host 3
    // [7800-7a00]; on socket 1 hosts 7, 8, 9 and 10 the same.
    const obo = f.filter((x) => x.code === 'MAP_OFF_BY_ONE');
    expect(obo.map((x) => x.message.match(/#(\d+) .* and #(\d+) .* share input ID (0x[0-9a-f]+)/)!.slice(1))).toEqual([
      ['1', '2', '0x7b00'],
      ['1', '4', '0x7c00'],
      ['2', '3', '0x7a00'],
      ['7', '8', '0xbb00'],
      ['7', '10', '0xbc00'],
      ['8', '9', '0xba00'],
    ]);
    expect(obo.every((x) => x.structure === RC)).toBe(true);
    expect(f).toHaveLength(noLimit.length + obo.length);
  });
});

describe('Hi1620 requester IDs through the IORT, as iort_node_map_id() maps them', () => {
  // Linux's iort_id_map() takes an ID in [Input base, Input base + Number of IDs] (both ends, as the
  // spec's count-minus-one asks), output = Output base + (ID - Input base); mappings are tried in
  // table order and the first whose range holds the ID wins, except that an ID equal to the last of
  // a range (-EAGAIN) is given to a later mapping that starts at it, with two "[Firmware Bug]" lines.
  // An SMMUv3's own DeviceID mapping (its "Device ID mapping index") is skipped on the way to the ITS.
  const pci = (rid: number) => iortPciDevice(ix, 0, rid)!;
  const smmu = (node: number, streamId: number) => ({ node, type: 'SMMU_V3', streamId });
  const its = (deviceId: number) => ({ node: ITS, deviceId, itsIds: [0] });
  /** The whole answer for a RID that reaches SMMU `node` with StreamID = DeviceID = `id`. */
  const viaSmmu = (node: number, id: number, log = [NO_LIMIT_RC]) => ({
    rootComplex: RC,
    iommu: smmu(node, id),
    msi: its(id),
    ats: false,
    log,
  });

  it('host 0 (01:00.0, RID 0x0100): SMMU @0x4C, then the ITS', () => {
    // RC #0 [0x0000, 0x0000 + 0x4000]: StreamID = 0x0000 + (0x0100 - 0x0000) = 0x0100 on SMMU @0x4C;
    // its #0 [0x0000, 0x4000] -> ITS: DeviceID = 0x0000 + (0x0100 - 0x0000) = 0x0100.
    expect(pci(0x0100)).toEqual(viaSmmu(SMMU_4C, 0x0100));
  });

  it('hosts 1, 4, 5, 6 and 11: each range to its SMMU, StreamID = DeviceID = RID (1:1 maps)', () => {
    // 7b:02.0 = 0x7b10: #0 ends at 0x4000; #1 [0x7b00, 0x7c00]: 0x7b00 + 0x10 = 0x7b10, SMMU @0x4C,
    // whose #1 [0x7b00, 0x7c00] gives 0x7b00 + 0x10 = 0x7b10 at the ITS.
    expect(pci(0x7b10)).toMatchObject({ iommu: smmu(SMMU_4C, 0x7b10), msi: its(0x7b10) });
    // 7d:00.0 = 0x7d00: #4 [0x7c00, 0x7e00]: 0x7c00 + 0x100 = 0x7d00 on SMMU @0xCC; its #0 the same.
    expect(pci(0x7d00)).toMatchObject({ iommu: smmu(SMMU_CC, 0x7d00), msi: its(0x7d00) });
    // 74:02.0 = 0x7410: #5 [0x7400, 0x7700]: 0x7400 + 0x10 = 0x7410 on SMMU @0x138.
    expect(pci(0x7410)).toMatchObject({ iommu: smmu(SMMU_138, 0x7410), msi: its(0x7410) });
    // Socket 1, 81:00.0 = 0x8100: #6 [0x8000, 0xa000]: 0x8000 + 0x100 = 0x8100 on SMMU @0x1A4.
    expect(pci(0x8100)).toMatchObject({ iommu: smmu(SMMU_1A4, 0x8100), msi: its(0x8100) });
    // b5:00.0 = 0xb500: #11 [0xb400, 0xb700]: 0xb400 + 0x100 = 0xb500 on SMMU @0x290.
    expect(pci(0xb500)).toMatchObject({ iommu: smmu(SMMU_290, 0xb500), msi: its(0xb500) });
  });

  it('hosts 2, 3 and 8 go straight to the ITS: a DeviceID and no SMMU', () => {
    // 7a:01.0 = 0x7a08: #2 [0x7a00, 0x7b00] -> ITS: DeviceID 0x7a00 + 0x08 = 0x7a08.
    const usb = pci(0x7a08);
    expect(usb.iommu).toBeUndefined();
    expect(usb.msi).toEqual(its(0x7a08));
    // 79:00.0 = 0x7900: #3 [0x7800, 0x7a00] -> ITS 0x7800 + 0x100 = 0x7900.
    expect(pci(0x7900)).toMatchObject({ msi: its(0x7900) });
    expect(pci(0x7900).iommu).toBeUndefined();
    // 0xba00 is host 8's first ID and host 9's last (#9 [0xb800, 0xba00]): #8 comes first, ITS.
    expect(pci(0xba00).iommu).toBeUndefined();
    expect(pci(0xba00).msi).toEqual(its(0xba00));
  });

  it('a shared boundary ID goes to the earlier mapping in table order, silently', () => {
    // 0x7b00: #1 [0x7b00, 0x7c00] starts there (and #2 [0x7a00, 0x7b00] ends there): #1, SMMU @0x4C.
    expect(pci(0x7b00)).toEqual(viaSmmu(SMMU_4C, 0x7b00));
    // 0xbb00: #7 [0xbb00, 0xbc00] before #8 [0xba00, 0xbb00]: SMMU @0x1A4.
    expect(pci(0xbb00)).toMatchObject({ iommu: smmu(SMMU_1A4, 0xbb00) });
  });

  it('the last ID of a range that starts another goes to the later one, with the workaround lines', () => {
    // 0x7c00: #1 [0x7b00, 0x7c00] ends there (-EAGAIN, output 0x7c00, remembered reference 0x4C);
    // #2, #3 miss; #4 [0x7c00, 0x7e00] starts there: "conflicting mapping" at RC_MAPS + 4*20 = 0x370,
    // "applying workaround.", StreamID 0x7c00 + 0 on SMMU @0xCC. Printed by the IOMMU walk and again
    // by the MSI walk.
    const pair = (at: number, id: string) => [
      `ACPI: IORT: [Firmware Bug]: [map 0x${at.toString(16)}] conflicting mapping for input ID ${id}`,
      'ACPI: IORT: [Firmware Bug]: applying workaround.',
    ];
    expect(RC_MAPS + 4 * 20).toBe(0x370);
    expect(pci(0x7c00)).toEqual(
      viaSmmu(SMMU_CC, 0x7c00, [...pair(0x370, '0x7c00'), ...pair(0x370, '0x7c00'), NO_LIMIT_RC]),
    );
    // 0xbc00: #7 [0xbb00, 0xbc00] ends there, #10 [0xbc00, 0xbe00] at RC_MAPS + 10*20 = 0x3e8 starts
    // there: SMMU @0x224, StreamID 0xbc00.
    expect(pci(0xbc00)).toEqual(
      viaSmmu(SMMU_224, 0xbc00, [...pair(0x3e8, '0xbc00'), ...pair(0x3e8, '0xbc00'), NO_LIMIT_RC]),
    );
  });

  it('the count-not-count-minus-one gives a host one ID more; the next one reaches nothing', () => {
    // 0xa000 = 0x8000 + 0x2000 is the last of #6 (-EAGAIN) and no later mapping starts there: Linux
    // keeps it, StreamID 0xa000 on SMMU @0x1A4, whose #0 [0x8000, 0xa000] ends there too -> ITS 0xa000.
    expect(pci(0xa000)).toMatchObject({ iommu: smmu(SMMU_1A4, 0xa000), msi: its(0xa000), log: [NO_LIMIT_RC] });
    // 0xa001 is in no range: no SMMU, no ITS.
    const none = pci(0xa001);
    expect(none.iommu).toBeUndefined();
    expect(none.msi).toBeUndefined();
  });

  it('single mappings: each SMMUv3 signals its MSIs with its own DeviceID', () => {
    // SMMU @0x4C: Device ID mapping index 2 -> its #2 is single, output 0x7F01 at the ITS; the others
    // have index 1 -> 0x7F03, 0x7F04 (socket 0), 0xBF01, 0xBF03, 0xBF04 (socket 1).
    expect([1, 2, 3, 4, 5, 6].map((i) => iortPlatformMsi(ix, i)?.deviceId)).toEqual([
      0x7f01, 0x7f03, 0x7f04, 0xbf01, 0xbf03, 0xbf04,
    ]);
  });

  it('single mappings: named components reach the ITS, SEC0 an SMMU and then nothing', () => {
    // \_SB_.MB30 (socket 0 TB L3T0 PMU mbi-gen): single mapping, output 0x7FD1 at 0x34 (the ITS).
    expect(iortNamedComponentDevice(ix, '\\_SB_.MB30')).toEqual({
      node: 8,
      streams: [],
      msi: its(0x7fd1),
      pasidBits: 0,
      log: [NO_LIMIT_NC],
    });
    expect(iortNamedComponentDevice(ix, '\\_SB_.MB5D')!.msi).toEqual(its(0xbf49));
    expect(iortNamedComponentDevice(ix, '\\_SB_.MBI4')!.msi).toEqual(its(0x7f18));
    // \_SB_.SEC0: single mapping, output 0x100 at 0x138: StreamID 0x100 on that SMMU. For MSIs the
    // SMMU's only range #0 is [0x7400, 0x7700] (its #1 is its own DeviceID, skipped): 0x100 misses,
    // so SEC0 has no DeviceID — a gap in the table Linux walks into without a word.
    const sec = iortNamedComponentDevice(ix, '\\_SB_.SEC0')!;
    expect(sec.streams).toEqual([smmu(SMMU_138, 0x100)]);
    expect(sec.msi).toBeUndefined();
    expect(sec.log).toEqual([NO_LIMIT_NC]);
  });
});

describe('HiSilicon Hi1616 (D05) IORT: eight ITS groups, eight root complexes, no SMMU', () => {
  const d05 = () => new Uint8Array(readFileSync(join(FIX, 'edk2-platforms', 'D05Iort.IORT.dat')));
  const jx = new IortIndex(decodeIort(d05()));
  // ITS groups at 0x34 + 0x18k hold GIC ITS identifier k (k = 0..7); root complexes are nodes 17-24.
  const itsAt = (node: number) => ({ node, deviceId: 0, itsIds: [node] });

  it('decodes and encodes back to the same 1,332 bytes', () => {
    const t = jx.table;
    expect(t.header).toMatchObject({ length: 1332, revision: 0, oemId: 'HISI  ', oemTableId: 'HIP07   ' });
    expect(t.nodeCount).toBe(26);
    expect(iortNodeOffsets(t).slice(0, 8)).toEqual([0x34, 0x4c, 0x64, 0x7c, 0x94, 0xac, 0xc4, 0xdc]);
    expect(t.nodes.slice(0, 8).map((n) => n.itsIds)).toEqual([[0], [1], [2], [3], [4], [5], [6], [7]]);
    expect(t.nodes.map((n) => n.name).filter((n) => n === 'ROOT_COMPLEX')).toHaveLength(8);
    expect(t.nodes.slice(17, 25).map((n) => Number(n.fields.PciSegmentNumber))).toEqual([2, 4, 5, 6, 7, 10, 12, 13]);
    expect(Buffer.from(encodeIort(decodeIort(d05()))).equals(Buffer.from(d05()))).toBe(true);
    expect(validateChecksum(d05(), 'IORT')).toEqual([]);
  });

  it('validates: memory limits 0 (8 root complexes, 10 named components) and no SMMU, nothing else', () => {
    const f = validateIort(jx.table);
    expect(f.filter((x) => x.code === 'NO_MEMORY_LIMIT').map((x) => x.structure)).toEqual([
      8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    ]);
    expect(f.filter((x) => x.code !== 'NO_MEMORY_LIMIT').map((x) => [x.severity, x.code])).toEqual([
      ['info', 'NO_IOMMU'],
    ]);
  });

  it('each segment’s RIDs go to its ITS group one to one; RIDs outside the range get no DeviceID', () => {
    const pci = (seg: number, rid: number) => iortPciDevice(jx, seg, rid);
    // Segment 2 (node 17): [0xf800, 0xf800 + 0x800] -> 0x64 (ITS 2): 0xf800 + (0xf900 - 0xf800) = 0xf900.
    expect(pci(2, 0xf900)).toMatchObject({ rootComplex: 17, msi: { ...itsAt(2), deviceId: 0xf900 } });
    expect(pci(2, 0xf900)!.iommu).toBeUndefined();
    // Segment 4 (node 18): [0x8800, 0x9000] -> 0x7c (ITS 3): 0x8800 + 0x100 = 0x8900.
    expect(pci(4, 0x8900)!.msi).toEqual({ ...itsAt(3), deviceId: 0x8900 });
    // Segment 10 (node 22), the second socket: [0x1000, 0x2000] -> 0xc4 (ITS 6): 0x1000 + 0x100 = 0x1100.
    expect(pci(10, 0x1100)!.msi).toEqual({ ...itsAt(6), deviceId: 0x1100 });
    // Segment 13 (node 24): [0x3000, 0x4000] -> 0xdc (ITS 7); its first RID 0x3000 -> 0x3000.
    expect(pci(13, 0x3000)!.msi).toEqual({ ...itsAt(7), deviceId: 0x3000 });
    // Segment 2, RID 0x0100: below 0xf800, no mapping -> no ITS (Linux: no MSI domain for it).
    expect(pci(2, 0x0100)!.msi).toBeUndefined();
    // Segment 0: no root complex describes it.
    expect(pci(0, 0x0100)).toBeUndefined();
  });

  it('named components: single mappings to their ITS groups', () => {
    // \_SB_.MBI0 -> 0x4C (ITS 1), DeviceID 0x120C7; \_SB_.MBI8 (socket 1) -> 0xC4 (ITS 6), 0x44800.
    expect(iortNamedComponentDevice(jx, '\\_SB_.MBI0')!.msi).toEqual({ ...itsAt(1), deviceId: 0x120c7 });
    expect(iortNamedComponentDevice(jx, '\\_SB_.MBI8')!.msi).toEqual({ ...itsAt(6), deviceId: 0x44800 });
  });
});
