// SPDX-License-Identifier: Apache-2.0
// Every DMAR test table decodes, re-encodes byte-identical and passes its checksum; structure
// and scope counts agree with the manifest decoded by the data set's authors (real machines).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AcpiDecodeError, decodeDmar, encodeDmar } from '../src/index';
import { FIX, itRoundTripsFixtures, manifestRows } from './fixture-files';

describe('DMAR codec', () => {
  const files = itRoundTripsFixtures('DMAR', 15, { decode: decodeDmar, encode: encodeDmar });

  it.each(manifestRows<{ haw: number; scopes: Record<string, number> }>('DMAR'))(
    '%s: counts match the manifest',
    (file, mf) => {
      const t = decodeDmar(new Uint8Array(readFileSync(join(FIX, 'real', file))));
      expect(t.hostAddressWidth + 1).toBe(mf.info.haw);
      const byType: Record<string, number> = {};
      for (const s of t.structures) byType[s.type] = (byType[s.type] ?? 0) + 1;
      expect(byType).toEqual(mf.subtables);
      // The manifest's scope counts leave out SIDP (type 6) scopes, which its decoder predates.
      const scopes: Record<string, number> = {};
      for (const s of t.structures.filter((x) => x.type !== 6)) {
        for (const sc of s.scopes) scopes[sc.type] = (scopes[sc.type] ?? 0) + 1;
      }
      expect(scopes).toEqual(mf.info.scopes);
    },
  );

  it('reports a structure that runs past the table with a typed error that says where', () => {
    const bytes = new Uint8Array(readFileSync(files[0]!));
    bytes[48 + 2] = 0xff; // first structure's Length
    bytes[48 + 3] = 0x0f;
    let err: unknown;
    try {
      decodeDmar(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AcpiDecodeError);
    expect((err as AcpiDecodeError).offset).toBe(48);
    expect((err as Error).message).toMatch(/^DMAR: \w+ at byte offset 48 \(0x30\): Length 4095 does not fit/);
  });
});
