// SPDX-License-Identifier: Apache-2.0
// Every DMAR/IVRS fixture that has an `iasl -d` disassembly (.dsl) beside it is decoded and
// compared, field by field and in order, with what iasl printed: the table header, the count
// of each subtable type, every field of every subtable, device scope and IVHD device entry, and
// the offsets and lengths the decoder's model implies. iasl is an independent decoder (two
// versions, 20200925 and 20250404), so agreement is evidence that both read the bytes the same
// way. Fields an iasl version does not print are skipped; every field it does print must be
// compared, so a new field name fails the test until it is mapped here. Where iasl itself gives
// up (an "Unknown ... subtable type" or "Unknown IVRS device entry" remark), only what it
// decoded before that is compared.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agree, agreeText, dslFiles, type Result, tableFor } from './dsl-compare';
import { FIX } from './fixture-files';

/** A fixture's iasl disassembly and the table it disassembles. */
const load = (name: string) => {
  const dsl = join(FIX, name);
  return { text: readFileSync(dsl, 'utf8'), bytes: new Uint8Array(readFileSync(tableFor(dsl))) };
};

describe('decoder agrees with iasl disassemblies', () => {
  const files = dslFiles();
  const results = files.map(agree);
  const compared = results.filter((r): r is Result => !('skipped' in r));

  it('finds every .dsl and its table', () => {
    expect(files.length).toBeGreaterThanOrEqual(42);
    // Only VIOT (no decoder in this package) is left out; DMAR, IVRS and IORT are compared.
    const skipped = results.filter((r) => 'skipped' in r);
    expect(new Set(skipped.map((r) => r.signature))).toEqual(new Set(['VIOT']));
    expect(compared.length + skipped.length).toBe(files.length);
  });

  it.each(compared.map((r) => [r.dsl, r]))('%s', (_name, r) => {
    const res = r as Result;
    expect(res.problems).toEqual([]);
    expect(res.rawDumpMatches).toBe(true);
    // Header (9 fields) plus at least one subtable's worth of fields were really compared.
    expect(res.compared).toBeGreaterThan(20);
    expect(Object.keys(res.subtables).length).toBeGreaterThan(0);
  });

  it('compares a large number of fields in total', () => {
    const total = compared.reduce((n, r) => n + r.compared, 0);
    expect(total).toBeGreaterThan(6000);
  });

  describe('fails when iasl and the IORT decoder disagree', () => {
    const server = load('iasl/variants/iort-server.dsl');
    const named = load('iasl/variants/iort-named-components.dsl');

    it('accepts the untouched texts', () => {
      for (const x of [server, named]) expect(agreeText(x.text, x.bytes).problems).toEqual([]);
    });

    it('a different output reference, context interrupt, ITS identifier, device name or padding', () => {
      const cases: [typeof server, string, string, RegExp][] = [
        [
          server,
          '[16Ch 0364 004h]            Output Reference : 00000064',
          '[16Ch 0364 004h]            Output Reference : 00000065',
          /^IORT@0x16C Output Reference .*iasl 0x65, decoder 0x64$/,
        ],
        [server, 'Context Interrupt : 0000000100000043', 'Context Interrupt : 0000000000000043', /Context Interrupt/],
        [server, 'Identifiers : 00000002', 'Identifiers : 00000003', /^IORT@0x60 Identifiers/],
        [named, 'Device Name : "\\_SB_.ETH0"', 'Device Name : "\\_SB_.ETH1"', /Device Name .*iasl "\\_SB_\.ETH1"/],
        [
          named,
          '[0C8h 0200   4]                      Padding : 00 00 00 00',
          '[0C8h 0200   4]                      Padding : 00 00 00 01',
          /Padding/,
        ],
      ];
      for (const [x, from, to, msg] of cases) {
        expect(x.text).toContain(from);
        expect(agreeText(x.text.replace(from, to), x.bytes).problems).toEqual([expect.stringMatching(msg)]);
      }
    });

    it('a mapping iasl did not print, a renamed field and a field at an offset the decoder has none', () => {
      const noMap = server.text.replace(/\[160h 0352 004h\][\s\S]*?\n\n/, '');
      expect(agreeText(noMap, server.bytes).problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^IORT@0x160 Input base: decoded, but iasl printed no field there$/),
        ]),
      );
      const renamed = server.text.replace('PCI Segment Number : 00000001', 'PCI Segment : 00000001');
      expect(agreeText(renamed, server.bytes).problems).toEqual([expect.stringMatching(/iasl calls it "PCI Segment"/)]);
      const extra = server.text.replace(
        '[02Ch 0044 004h]                    Reserved : 00000000',
        '[02Ch 0044 004h]                    Reserved : 00000000\n[02Eh 0046 002h]                   New Field : 0000',
      );
      expect(agreeText(extra, server.bytes).problems).toEqual([
        expect.stringMatching(/IORT@0x2E New Field .*the decoder has no field at this offset/),
      ]);
    });
  });

  describe('fails when iasl and the decoder disagree', () => {
    const dmar = load('iasl/variants/dmar-multiseg.dsl');
    const ivrs = load('iasl/variants/ivrs-multiseg.dsl');
    const oldIvrs = load('iasl/v20200925/ivrs.dsl');

    it('accepts the untouched texts', () => {
      for (const x of [dmar, ivrs, oldIvrs]) expect(agreeText(x.text, x.bytes).problems).toEqual([]);
    });

    it('a different DRHD Register Base Address', () => {
      const text = dmar.text.replace(
        'Register Base Address : 00000000FED90000',
        'Register Base Address : 00000000FED90001',
      );
      expect(agreeText(text, dmar.bytes).problems).toEqual([
        expect.stringMatching(/^#0 DRHD@0x30 Register Base Address .*iasl 0xFED90001, decoder 0xFED90000$/),
      ]);
    });

    it('a different header field, scope path, entry Device ID or IVMD address', () => {
      const cases: [typeof dmar, string, string, RegExp][] = [
        [dmar, 'Oem Table ID : "MULTISEG"', 'Oem Table ID : "MULTISEH"', /^header Oem Table ID/],
        [dmar, 'PCI Path : 00,01', 'PCI Path : 00,02', /scope #1: path\[1\] function: iasl 2, decoder 1$/],
        [dmar, 'End Address (limit) : 000000003E2FFFFF', 'End Address (limit) : 000000003E2FFFFE', /RMRR.*End/],
        [ivrs, 'PCI Segment Group : 0001', 'PCI Segment Group : 0002', /IVHD 11h.*PCI Segment Group/],
        [ivrs, 'Start Address : 00000000CCD42000', 'Start Address : 00000000CCD43000', /IVMD 21h.*Start Address/],
        [oldIvrs, 'Source Used Device ID : 0000', 'Source Used Device ID : 0001', /entry #2 Source Used Device ID/],
      ];
      for (const [x, from, to, msg] of cases) {
        expect(x.text).toContain(from);
        expect(agreeText(x.text.replace(from, to), x.bytes).problems).toEqual([expect.stringMatching(msg)]);
      }
    });

    it('a missing subtable, a missing device entry and an unmapped field', () => {
      const noRhsa = dmar.text.replace(/\[10Ah 0266 002h\][\s\S]*?\n\n(?=\[11Eh)/, '');
      expect(agreeText(noRhsa, dmar.bytes).problems).toEqual(
        expect.arrayContaining([expect.stringMatching(/count of RHSA subtables: iasl 1, decoder 2/)]),
      );
      const noEntry = oldIvrs.text.replace(/\[04Ch 0076\s+1\][\s\S]*?\n\n/, '');
      expect(agreeText(noEntry, oldIvrs.bytes).problems).toEqual(
        expect.arrayContaining([expect.stringMatching(/number of device entries: iasl 3, decoder 4/)]),
      );
      const extra = dmar.text.replace(
        '[024h 0036 001h]          Host Address Width : 33',
        '[024h 0036 001h]          Host Address Width : 33\n[025h 0037 001h]                  New Field : 07',
      );
      expect(agreeText(extra, dmar.bytes).problems).toEqual([expect.stringMatching(/"New Field" .* is not compared/)]);
    });
  });
});
