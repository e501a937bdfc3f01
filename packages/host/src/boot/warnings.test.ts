// SPDX-License-Identifier: Apache-2.0
// What a booted host warns about: a firmware table whose checksum is wrong (Linux's ACPICA warns
// and uses a DMAR anyway; the AMD driver refuses an IVRS), and command-line parameters that change
// nothing (unmodelled ones, and options Linux's parsers reject).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadHost } from './load';

const EXAMPLES = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts');
const dir = mkdtempSync(join(tmpdir(), 'iofleet-warn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of a real-machine example whose firmware table has its checksum byte off by one. */
function withBadChecksum(example: string, table: string): string {
  const text = readFileSync(join(EXAMPLES, example), 'utf8');
  const bytes = readFileSync(join(EXAMPLES, 'firmware', table));
  bytes[9] = (bytes[9]! + 1) & 0xff;
  writeFileSync(join(dir, table), bytes);
  const lspci = /lspci: firmware\/(\S+)/.exec(text)![1]!;
  copyFileSync(join(EXAMPLES, 'firmware', lspci), join(dir, lspci));
  const file = join(dir, example);
  writeFileSync(file, text.replaceAll('firmware/', ''));
  return file;
}

describe('host warnings', () => {
  it('a DMAR with a wrong checksum: ACPICA warns in the boot log, VT-d still comes up', () => {
    const good = loadHost(join(EXAMPLES, 'intel-dell-t7500-real.yaml'));
    expect(good.warnings).toEqual([]);
    const h = loadHost(
      withBadChecksum('intel-dell-t7500-real.yaml', 'dell-precision-workstation-t7500-428B8D25DDA9.DMAR.dat'),
    );
    const line = h.bootLog.find((l) => l.startsWith('ACPI BIOS Warning'));
    expect(line).toMatch(
      /^ACPI BIOS Warning \(bug\): Incorrect checksum in table \[DMAR\] - 0x[0-9A-F]{2}, should be 0x[0-9A-F]{2}$/,
    );
    expect(h.warnings).toEqual([`firmware: ${line}`]);
    expect(h.iommuEnabled).toBe(true);
    expect(h.units).toHaveLength(good.units.length);
  });

  it('an IVRS with a wrong checksum: the AMD driver refuses it and the host runs without an IOMMU', () => {
    const h = loadHost(
      withBadChecksum(
        'amd-threadripper-real.yaml',
        'asustek-computer-rog-zenith-ii-extreme-alpha-BF6A37F4A7D0.IVRS.dat',
      ),
    );
    expect(h.bootLog).toContain('AMD-Vi: [Firmware Bug]: IVRS invalid checksum');
    expect(h.units).toHaveLength(0);
    expect(h.iommuEnabled).toBe(false);
    expect(h.warnings).toContain('firmware: AMD-Vi: [Firmware Bug]: IVRS invalid checksum');
  });

  it('names kernel parameters that change nothing, and options Linux rejects', () => {
    const h = loadHost(join(EXAMPLES, 'gpu-node.yaml'), {
      cmdline: 'quiet intel_iommu=on,sm_of iommu.stritc=1 hugepages=8',
    });
    expect(h.warnings).toEqual([
      "kernel command line: DMAR: Unknown option - 'sm_of' (the option has no effect)",
      'kernel command line: iommu.stritc=1 hugepages=8: not modelled by iofleet, changes nothing here',
    ]);
    expect(loadHost(join(EXAMPLES, 'gpu-node.yaml'), { cmdline: 'quiet splash iommu.strict=1' }).warnings).toEqual([]);
  });
});
