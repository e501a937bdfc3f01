// SPDX-License-Identifier: Apache-2.0
// An Arm server booted from a real firmware's IORT: HiSilicon Hi1620 (Kunpeng 920, D06), compiled
// from its edk2-platforms source (packages/acpi/test/fixtures/edk2-platforms/README.md). The table
// gives the SMMUs, the root complex's RID ranges and the ITS; the PCI functions below are a minimal
// description placed in ranges the table names (which devices a real D06 has there is not in the
// table). What the SMMUs report at probe (IDR registers: ias/oas, features) is the model's default:
// an IORT does not carry it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostDescriptionSchema } from '../description/schema';
import { bootHost } from './boot';

const FILE = join(__dirname, '..', '..', 'test', 'fixtures', 'kunpeng-920-2s.yaml');

const host = () =>
  bootHost(
    hostDescriptionSchema.parse({
      name: 'kunpeng-920-2s',
      cpu: { vendor: 'arm', sockets: 2, coresPerSocket: 4 },
      numaNodes: [
        { id: 0, memoryGiB: 4 },
        { id: 1, memoryGiB: 4 },
      ],
      firmware: { table: 'hisilicon-hi1620.IORT.dat' },
      pci: [
        { bdf: '00:00.0', kind: 'rootPort', acs: true }, // host 0: RIDs 0x0000-0x4000 -> SMMU @0x4C
        { bdf: '01:00.0', kind: 'endpoint', parent: '00:00.0', class: 'nvme' },
        { bdf: '74:02.0', kind: 'endpoint', class: 'sas' }, // host 5: 0x7400-0x7700 -> SMMU @0x138
        { bdf: '7a:01.0', kind: 'endpoint', class: 'usb' }, // host 2: 0x7a00-0x7b00 -> the ITS only
        { bdf: '7b:00.0', kind: 'endpoint', class: 'dma' }, // host 1: 0x7b00-0x7c00 -> SMMU @0x4C
        { bdf: '7c:00.0', kind: 'rootPort', acs: true }, // host 4: 0x7c00-0x7e00 -> SMMU @0xCC
        { bdf: '7d:00.0', kind: 'endpoint', parent: '7c:00.0', class: 'nic' },
        { bdf: '80:00.0', kind: 'rootPort', acs: true }, // socket 1, host 6: 0x8000-0xa000 -> SMMU @0x1A4
        { bdf: '81:00.0', kind: 'endpoint', parent: '80:00.0', class: 'nvme' },
        { bdf: 'bc:00.0', kind: 'rootPort', acs: true }, // host 10: 0xbc00-0xbe00 -> SMMU @0x224
        { bdf: 'bd:00.0', kind: 'endpoint', parent: 'bc:00.0', class: 'nic' },
      ],
    }),
    { file: FILE },
  );

describe('a Kunpeng 920 host booted from the Hi1620 firmware IORT', () => {
  it('six SMMUv3, named in table order, with the proximity domains of the two sockets', () => {
    const h = host();
    expect(h.firmware.signature).toBe('IORT');
    expect(h.units.map((u) => [u.unit.name, u.base])).toEqual([
      ['arm-smmu-v3.0.auto', 0x1_4800_0000n],
      ['arm-smmu-v3.1.auto', 0x1_0000_0000n],
      ['arm-smmu-v3.2.auto', 0x1_4000_0000n],
      ['arm-smmu-v3.3.auto', 0x4001_4800_0000n],
      ['arm-smmu-v3.4.auto', 0x4001_0000_0000n],
      ['arm-smmu-v3.5.auto', 0x4001_4000_0000n],
    ]);
    expect(h.bootLog).toContain('ACPI: IORT: SMMU-v3[148000000] Mapped to Proximity domain 0');
    expect(h.bootLog).toContain('ACPI: IORT: SMMU-v3[400140000000] Mapped to Proximity domain 2');
  });

  it('StreamIDs from the root complex RID ranges (1:1), the ITS-only host untranslated', () => {
    const h = host();
    const at = (b: string) => {
      const d = h.device(b);
      return d.unit < 0 ? undefined : [d.unit, h.sourceIdOf(d.fn)];
    };
    // RID = bus << 8 | dev << 3 | fn; each range maps with Output base = Input base, so StreamID = RID.
    expect(at('01:00.0')).toEqual([0, 0x0100]);
    expect(at('74:02.0')).toEqual([2, 0x7410]); // 0x74 << 8 | 2 << 3
    expect(at('7b:00.0')).toEqual([0, 0x7b00]);
    expect(at('7d:00.0')).toEqual([1, 0x7d00]);
    expect(at('81:00.0')).toEqual([3, 0x8100]);
    expect(at('bd:00.0')).toEqual([4, 0xbd00]);
    expect(at('7a:01.0')).toBeUndefined();
    expect(h.device('7a:01.0').group).toBeNull();
  });

  it('root ports on a shared boundary RID go to the later range, with Linux’s workaround lines', () => {
    const h = host();
    // 7c:00.0 = RID 0x7c00 is the last ID of host 1's [0x7b00, 0x7c00] and the first of host 4's.
    expect([h.device('7c:00.0').unit, h.sourceIdOf(h.device('7c:00.0').fn)]).toEqual([1, 0x7c00]);
    expect([h.device('bc:00.0').unit, h.sourceIdOf(h.device('bc:00.0').fn)]).toEqual([4, 0xbc00]);
    const fw = h.bootLog.filter((l) => /conflicting mapping|applying workaround/.test(l));
    const pair = (at: string, id: string) => [
      `ACPI: IORT: [Firmware Bug]: [map ${at}] conflicting mapping for input ID ${id}`,
      'ACPI: IORT: [Firmware Bug]: applying workaround.',
    ];
    // Twice per device: the IOMMU walk and the MSI walk.
    expect(fw).toEqual([
      ...pair('0x370', '0x7c00'),
      ...pair('0x370', '0x7c00'),
      ...pair('0x3e8', '0xbc00'),
      ...pair('0x3e8', '0xbc00'),
    ]);
    // rc_dma_get_range() once per PCI function: Memory Address Size Limit is 0.
    const noLimit = h.bootLog.filter(
      (l) => l === 'ACPI: IORT: [Firmware Bug]: Root complex missing memory address limit',
    );
    expect(noLimit).toHaveLength(11);
    expect(h.warnings).toContain('firmware: ACPI: IORT: [Firmware Bug]: applying workaround.');
  });

  it('one IOMMU group per function behind an SMMU (ACS root ports, integrated endpoints alone)', () => {
    const h = host();
    const translated = [
      '00:00.0',
      '01:00.0',
      '74:02.0',
      '7b:00.0',
      '7c:00.0',
      '7d:00.0',
      '80:00.0',
      '81:00.0',
      'bc:00.0',
      'bd:00.0',
    ];
    const groups = translated.map((b) => h.device(b).group);
    expect(groups.every((g) => g !== null)).toBe(true);
    expect(new Set(groups).size).toBe(translated.length);
    expect(h.bootLog.filter((l) => l.includes('Adding to iommu group'))).toEqual(
      translated.map((b, i) => `pci 0000:${b}: Adding to iommu group ${i}`),
    );
  });
});
