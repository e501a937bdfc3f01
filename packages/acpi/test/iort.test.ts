// SPDX-License-Identifier: Apache-2.0
// Every IORT test table decodes, re-encodes byte-identical, survives JSON and back, and has a valid
// checksum; malformed tables give typed errors that say where.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AcpiDecodeError,
  decodeIort,
  encodeIort,
  fromJson,
  type IortTable,
  iortNodeOffsets,
  listIort,
  toJson,
} from '../src/index';
import { FIX, itRoundTripsFixtures } from './fixture-files';

const read = (rel: string) => new Uint8Array(readFileSync(join(FIX, rel)));

function decodeError(bytes: Uint8Array): AcpiDecodeError {
  try {
    decodeIort(bytes);
  } catch (e) {
    if (e instanceof AcpiDecodeError) return e;
    throw e;
  }
  throw new Error('decoded without an error');
}

/** A copy with the header's Length and checksum fixed after an edit. */
function fixed(b: Uint8Array): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint32(4, c.length, true);
  return encodeIort(decodeIort(c), { fixChecksum: true });
}

describe('IORT codec', () => {
  // QEMU upstream and generated, iasl templates and variants; each also survives JSON and back.
  itRoundTripsFixtures('IORT', 10, { decode: decodeIort, encode: encodeIort }, (t, bytes) => {
    const back = fromJson(toJson({ table: 'IORT', iort: t }));
    expect(back.table).toBe('IORT');
    expect(Buffer.from(encodeIort((back as { iort: IortTable }).iort)).equals(Buffer.from(bytes))).toBe(true);
    expect(listIort(t)).toContain(`Node #${t.nodes.length - 1} at`);
  });

  it('decodes QEMU virt with iommu=smmuv3: ITS group, SMMUv3 with wired interrupts, root complex', () => {
    const t = decodeIort(read('qemu-generated-7.2.22/virt-smmuv3.IORT.dat'));
    expect(t.header.revision).toBe(3);
    expect(t.nodes.map((n) => n.name)).toEqual(['ITS_GROUP', 'SMMU_V3', 'ROOT_COMPLEX']);
    expect(iortNodeOffsets(t)).toEqual([0x30, 0x48, 0xa0]);
    const [its, smmu, rc] = t.nodes;
    expect(its!.itsIds).toEqual([0]);
    expect(smmu!.fields).toMatchObject({ BaseAddress: 0x9050000n, EventGsiv: 0x6a, GerrGsiv: 0x6d, Flags: 1 });
    expect(rc!.fields).toMatchObject({ PciSegmentNumber: 0, MemoryAddressSizeLimit: 0x40, CacheCoherency: 1 });
    expect(rc!.mappings).toEqual([
      { inputBase: 0, idCount: 0x100, outputBase: 0, outputReference: 0x48, flags: 0 },
      { inputBase: 0x100, idCount: 0xfeff, outputBase: 0x100, outputReference: 0x30, flags: 0 },
    ]);
  });

  it('keeps the iasl template bytes no field describes (header padding, a garbled device name tail)', () => {
    const t = decodeIort(read('iasl/v20250404/iort.aml'));
    expect(t.padding).toEqual([...Buffer.from('IORT')]);
    const nc = t.nodes.find((n) => n.name === 'NAMED_COMPONENT')!;
    expect(nc.deviceName).toBe('\\_SIORT<\x02');
    expect(nc.gaps?.[0]?.offset).toBe(38);
    const rmr = t.nodes.find((n) => n.name === 'RMR')!;
    expect(rmr.fields).toMatchObject({ RmrOffset: 28 });
    expect(rmr.rmrDescriptors).toHaveLength(1);
  });

  it('decodes SMMUv1/v2 interrupt arrays at their offsets', () => {
    const t = decodeIort(read('iasl/variants/iort-server.aml'));
    const s = t.nodes.find((n) => n.name === 'SMMU')!;
    expect(s.globalInterrupts).toEqual({ nsgIrpt: 0x40, nsgIrptFlags: 1, nsgCfgIrpt: 0x41, nsgCfgIrptFlags: 1 });
    expect(s.contextInterrupts).toEqual([
      { gsiv: 0x42, flags: 1 },
      { gsiv: 0x43, flags: 1 },
    ]);
    expect(s.pmuInterrupts).toEqual([{ gsiv: 0x44, flags: 0 }]);
  });

  it('keeps an unknown node type as raw bytes and still re-encodes the table', () => {
    const b = read('qemu-upstream-7.2.0/virt.IORT.dat');
    b[0x48] = 7; // the root complex becomes a type-7 node
    const t = decodeIort(fixed(b));
    expect(t.nodes[1]).toMatchObject({ type: 7, name: 'UNKNOWN', fields: { MappingCount: 1 }, mappings: [] });
    expect(t.nodes[1]!.raw).toHaveLength(0x38 - 16);
    expect(Buffer.from(encodeIort(t)).equals(Buffer.from(fixed(b)))).toBe(true);
  });

  it('walks Number-of-nodes nodes, as Linux does, and keeps what follows', () => {
    const b = read('qemu-generated-7.2.22/virt-smmuv3.IORT.dat');
    b[36] = 2;
    const t = decodeIort(fixed(b));
    expect(t.nodes).toHaveLength(2);
    expect(t.trailing).toHaveLength(0xec - 0xa0);
    b[36] = 9;
    expect(decodeIort(fixed(b)).nodes).toHaveLength(3);
  });

  it('keeps a mapping count whose array is at offset 0 (Linux ignores such an array)', () => {
    const b = read('qemu-upstream-7.2.0/virt.IORT.dat');
    new DataView(b.buffer).setUint32(0x48 + 12, 0, true);
    const t = decodeIort(fixed(b));
    expect(t.nodes[1]!.mappings).toEqual([]);
    expect(t.nodes[1]!.fields.MappingCount).toBe(1);
    expect(Buffer.from(encodeIort(t)).equals(Buffer.from(fixed(b)))).toBe(true);
  });

  it('reports where a node does not fit, with a typed error', () => {
    const b = read('qemu-generated-7.2.22/virt-smmuv3.IORT.dat');
    new DataView(b.buffer).setUint16(0xa0 + 1, 0x400, true);
    const e = decodeError(fixed2(b));
    expect(e.code).toBe('BAD_STRUCTURE');
    expect(e.offset).toBe(0xa0);
    expect(e.message).toMatch(/^IORT: ROOT_COMPLEX node #2 at byte offset 160 \(0xa0\): Length 1024 does not fit/);
    new DataView(b.buffer).setUint16(0xa0 + 1, 8, true);
    expect(decodeError(fixed2(b)).message).toMatch(/Length 8 does not fit \(16\.\./);
  });

  it('rejects an ID mapping array outside its node, and one overlapping the fixed fields', () => {
    const b = read('qemu-generated-7.2.22/virt-smmuv3.IORT.dat');
    new DataView(b.buffer).setUint32(0xa0 + 8, 3, true); // three mappings in room for two
    expect(decodeError(fixed2(b)).message).toMatch(
      /ROOT_COMPLEX node .*3 ID mappings of 20 bytes at node offset 36 do not fit in its 76 bytes/,
    );
    const c = read('iasl/variants/iort-server.aml');
    new DataView(c.buffer).setUint32(0x1c0 + 48, 0x30, true); // SMMUv2 context interrupts into the fixed fields
    expect(decodeError(fixed2(c)).message).toMatch(/SMMU node .*context interrupts \[48, 64\) overlaps/);
  });

  it('rejects a node offset outside the table and a wrong signature', () => {
    const b = read('qemu-upstream-7.2.0/virt.IORT.dat');
    new DataView(b.buffer).setUint32(40, 0x20, true);
    expect(decodeError(fixed2(b)).message).toMatch(/Offset to array of IORT nodes 32 is outside \[48, 128\]/);
    const d = read('qemu-upstream-7.2.0/q35.DMAR.dat');
    expect(decodeError(d).code).toBe('BAD_SIGNATURE');
  });

  it('refuses to encode a node whose parts overlap or that names a field its type lacks', () => {
    const t = decodeIort(read('qemu-generated-7.2.22/virt-smmuv3.IORT.dat'));
    t.nodes[2]!.mappingOffset = 20;
    expect(() => encodeIort(t)).toThrow(/ROOT_COMPLEX node .*parts overlap at node offset/);
    const u = decodeIort(read('qemu-generated-7.2.22/virt-smmuv3.IORT.dat'));
    u.nodes[1]!.fields.Span = 1n;
    expect(() => encodeIort(u)).toThrow(/no field "Span" in this node type/);
  });
});

/** Header Length fixed and checksum recomputed, without decoding (for tables that must not decode). */
function fixed2(b: Uint8Array): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint32(4, c.length, true);
  c[9] = 0;
  let s = 0;
  for (const x of c) s = (s + x) & 0xff;
  c[9] = (256 - s) & 0xff;
  return c;
}
