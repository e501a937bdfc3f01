// SPDX-License-Identifier: Apache-2.0
// Every IVRS test table decodes, re-encodes byte-identical and passes its checksum; block and
// device-entry counts agree with the manifest of the real machines' tables.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AcpiDecodeError, decodeIvrs, encodeIvrs } from '../src/index';
import { FIX, itRoundTripsFixtures, manifestRows } from './fixture-files';

describe('IVRS codec', () => {
  const files = itRoundTripsFixtures('IVRS', 13, { decode: decodeIvrs, encode: encodeIvrs });

  it.each(manifestRows<{ ivinfo: string; ents: Record<string, number> }>('IVRS'))(
    '%s: counts match the manifest',
    (file, mf) => {
      const t = decodeIvrs(new Uint8Array(readFileSync(join(FIX, 'real', file))));
      expect(`0x${t.ivInfo.toString(16)}`).toBe(mf.info.ivinfo);
      const blocks: Record<string, number> = {};
      for (const b of t.blocks) blocks[`0x${b.type.toString(16)}`] = (blocks[`0x${b.type.toString(16)}`] ?? 0) + 1;
      expect(blocks).toEqual(mf.subtables);
      const ents: Record<string, number> = {};
      for (const b of t.blocks)
        if (b.kind === 'IVHD')
          for (const e of b.entries) ents[`0x${e.type.toString(16)}`] = (ents[`0x${e.type.toString(16)}`] ?? 0) + 1;
      // The manifest counts the entries of the IVHD type Linux uses (the highest present).
      const top = Math.max(...t.blocks.filter((b) => b.kind === 'IVHD').map((b) => b.type));
      const topEnts: Record<string, number> = {};
      for (const b of t.blocks)
        if (b.kind === 'IVHD' && b.type === top)
          for (const e of b.entries)
            topEnts[`0x${e.type.toString(16)}`] = (topEnts[`0x${e.type.toString(16)}`] ?? 0) + 1;
      expect([ents, topEnts]).toContainEqual(mf.info.ents);
    },
  );

  it('reports a device entry that runs past its block with a typed error', () => {
    const bytes = new Uint8Array(readFileSync(files[0]!));
    const t = decodeIvrs(bytes);
    expect(t.blocks[0]!.kind).toBe('IVHD');
    bytes[48 + 2] = 0x1a; // IVHD Length 26: cuts the first device entry in half
    bytes[48 + 3] = 0x00;
    expect(() => decodeIvrs(bytes)).toThrow(AcpiDecodeError);
  });
});
