// SPDX-License-Identifier: Apache-2.0
// Every IVRS test table decodes, re-encodes byte-identical and passes its checksum; block and
// device-entry counts agree with the manifest of the real machines' tables.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AcpiDecodeError, decodeIvrs, encodeIvrs, type IvrsTable } from '../src/index';
import { countBy, itMatchesManifest, itRoundTripsFixtures } from './fixture-files';

describe('IVRS codec', () => {
  const files = itRoundTripsFixtures('IVRS', 13, { decode: decodeIvrs, encode: encodeIvrs });

  itMatchesManifest<{ ivinfo: string; ents: Record<string, number> }, IvrsTable>('IVRS', decodeIvrs, (t, mf) => {
    const hex = (x: { type: number }) => `0x${x.type.toString(16)}`;
    expect(`0x${t.ivInfo.toString(16)}`).toBe(mf.info.ivinfo);
    expect(countBy(t.blocks, hex)).toEqual(mf.subtables);
    const ivhds = t.blocks.filter((b) => b.kind === 'IVHD');
    // The manifest counts the entries of the IVHD type Linux uses (the highest present).
    const top = Math.max(...ivhds.map((b) => b.type));
    const ents = countBy(
      ivhds.flatMap((b) => b.entries),
      hex,
    );
    const topEnts = countBy(
      ivhds.filter((b) => b.type === top).flatMap((b) => b.entries),
      hex,
    );
    expect([ents, topEnts]).toContainEqual(mf.info.ents);
  });

  it('reports a device entry that runs past its block with a typed error', () => {
    const bytes = new Uint8Array(readFileSync(files[0]!));
    const t = decodeIvrs(bytes);
    expect(t.blocks[0]!.kind).toBe('IVHD');
    bytes[48 + 2] = 0x1a; // IVHD Length 26: cuts the first device entry in half
    bytes[48 + 3] = 0x00;
    expect(() => decodeIvrs(bytes)).toThrow(AcpiDecodeError);
  });
});
