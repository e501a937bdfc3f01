// SPDX-License-Identifier: Apache-2.0
// Every DMAR test table decodes, re-encodes byte-identical and passes its checksum; structure
// and scope counts agree with the manifest decoded by the data set's authors (real machines).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AcpiDecodeError, type DmarTable, decodeDmar, encodeDmar } from '../src/index';
import { countBy, itMatchesManifest, itRoundTripsFixtures } from './fixture-files';

describe('DMAR codec', () => {
  const files = itRoundTripsFixtures('DMAR', 15, { decode: decodeDmar, encode: encodeDmar });

  itMatchesManifest<{ haw: number; scopes: Record<string, number> }, DmarTable>('DMAR', decodeDmar, (t, mf) => {
    expect(t.hostAddressWidth + 1).toBe(mf.info.haw);
    expect(countBy(t.structures, (s) => s.type)).toEqual(mf.subtables);
    // The manifest's scope counts leave out SIDP (type 6) scopes, which its decoder predates.
    const scopes = t.structures.filter((x) => x.type !== 6).flatMap((s) => s.scopes);
    expect(countBy(scopes, (sc) => sc.type)).toEqual(mf.info.scopes);
  });

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
