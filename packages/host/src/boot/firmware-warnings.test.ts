// SPDX-License-Identifier: Apache-2.0
// The boot log carries the firmware warnings Linux prints (dmar.c, intel/iommu.c, amd/init.c;
// ACPICA's checksum warning is warnings.test.ts's), worded and placed as Linux prints them, and
// nothing else: a finding of
// `iofleet acpi validate` that Linux is silent about (a 36-bit host address width on a client
// part, overlapping RMRRs...) is not a boot line.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDmar, decodeDmar, encodeDmar } from '@iofleet/acpi';
import { HwCounters, PhysMemory } from '@iofleet/core/hardware';
import { describe, expect, it } from 'vitest';
import { buildPciTree } from '../pci/tree';
import { bootHost } from './boot';
import { amdUnitsFromIvrs, vtdUnitsFromDmar } from './iommu-units';
import { loadHost, loadHostDescription } from './load';

const EXAMPLES = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts');
const REAL = join(__dirname, '..', '..', '..', 'acpi', 'test', 'fixtures', 'real');
const WARNING = /Firmware Bug|BIOS|Invalid DMAR|Unsupported device scope|invalid checksum/;

const laptop = () => loadHostDescription(join(EXAMPLES, 'intel-laptop-rmrr.yaml'));
const tree = () => buildPciTree(laptop().pci, 'test.yaml');
const counters = () => new HwCounters();

describe('firmware warnings in the boot log', () => {
  it('none for the example hosts', () => {
    for (const f of readdirSync(EXAMPLES).filter((n) => n.endsWith('.yaml')))
      expect(
        loadHost(join(EXAMPLES, f)).bootLog.filter((l) => WARNING.test(l)),
        f,
      ).toEqual([]);
  });

  it('none for the real tables: a 36- or 38-bit host address width is what client parts report', () => {
    const files = readdirSync(REAL).filter((n) => /\.(DMAR|IVRS)\.dat$/.test(n));
    expect(files.length).toBeGreaterThan(15);
    for (const f of files) {
      const desc = { ...laptop(), cpu: { ...laptop().cpu, vendor: f.includes('DMAR') ? 'intel' : 'amd' } } as const;
      const h = bootHost({ ...desc, firmware: { table: join(REAL, f) } }, { file: join(EXAMPLES, 'x.yaml') });
      expect(
        h.bootLog.filter((l) => WARNING.test(l)),
        f,
      ).toEqual([]);
      if (f.startsWith('hewlett-packard-compaq-dc7800')) expect(h.bootLog).toContain('DMAR: Host address width 36');
    }
  });

  it('what Linux prints, where it prints it: bad RMRR, RHSA without its DRHD, unsupported scope', () => {
    const t = decodeDmar(
      buildDmar({
        hostAddressWidth: 39,
        units: [{ segment: 0, base: 0xfed9_0000n, includeAll: true, scopes: [{ type: 7, startBus: 0, path: [] }] }],
        rmrrs: [{ segment: 0, base: 0x7b00_0100n, end: 0x7b00_0fffn, scopes: [] }],
      }),
    );
    t.structures.push({
      type: 3,
      name: 'RHSA',
      fields: { Reserved: 0, BaseAddress: 0xfed9_1000n, ProximityDomain: 1 },
      scopes: [],
    });
    const bytes = encodeDmar(t, { fixChecksum: true });
    const fw = vtdUnitsFromDmar(bytes, tree(), laptop(), new PhysMemory(), counters);
    expect(fw.log).toEqual([
      'DMAR: Host address width 39',
      'DMAR: DRHD base: 0x000000fed90000 flags: 0x1',
      'DMAR: Unsupported device scope',
      expect.stringMatching(/^DMAR: dmar0: reg_base_addr fed90000 /),
      'DMAR: RMRR base: 0x0000007b000100 end: 0x0000007b000fff',
      'DMAR: [Firmware Bug]: Your BIOS is broken; bad RMRR [0x000000007b000100-0x000000007b000fff]',
      'DMAR: RHSA base: 0x000000fed91000 proximity domain: 0x1',
      'DMAR: [Firmware Bug]: Your BIOS is broken; RHSA refers to non-existent DMAR unit at fed91000',
    ]);
    expect(fw.firmwareWarnings).toHaveLength(3);
  });

  it('a host names those firmware bugs among its warnings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'iofleet-fw-'));
    try {
      const bytes = buildDmar({
        hostAddressWidth: 39,
        units: [{ segment: 0, base: 0xfed9_0000n, includeAll: true, scopes: [] }],
        rmrrs: [{ segment: 0, base: 0x7b00_0000n, end: 0x7b00_0000n, scopes: [] }],
      });
      writeFileSync(join(dir, 'dmar.dat'), bytes);
      const h = bootHost({ ...laptop(), firmware: { table: join(dir, 'dmar.dat') } }, { file: join(dir, 'x.yaml') });
      expect(h.warnings).toEqual([
        'firmware: DMAR: [Firmware Bug]: Your BIOS is broken; bad RMRR [0x000000007b000000-0x000000007b000000]',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a DRHD at address 0 or an invalid width stops VT-d; a corrupt IVRS stops AMD-Vi', () => {
    const at0 = buildDmar({ hostAddressWidth: 39, units: [{ segment: 0, base: 0n, includeAll: true, scopes: [] }] });
    const z = vtdUnitsFromDmar(at0, tree(), laptop(), new PhysMemory(), counters);
    expect(z.units).toHaveLength(0);
    expect(z.log).toEqual(['DMAR: [Firmware Bug]: Your BIOS is broken; DMAR reported at address 0!']);
    const narrow = buildDmar({ hostAddressWidth: 11, units: [{ segment: 0, base: 0xfed9_0000n, scopes: [] }] });
    expect(vtdUnitsFromDmar(narrow, tree(), laptop(), new PhysMemory(), counters).log).toEqual([
      'DMAR: Invalid DMAR haw',
    ]);
    const ivrs = new Uint8Array(readFileSync(join(REAL, 'supermicro-h8dgu-57ED146F2C3C.IVRS.dat')));
    ivrs[9] = (ivrs[9]! + 1) & 0xff;
    const amd = amdUnitsFromIvrs(ivrs, tree(), laptop(), new PhysMemory(), counters);
    expect(amd.units).toHaveLength(0);
    expect(amd.firmwareWarnings).toEqual(['AMD-Vi: [Firmware Bug]: IVRS invalid checksum']);
  });
});
