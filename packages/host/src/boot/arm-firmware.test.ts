// SPDX-License-Identifier: Apache-2.0
// An Arm host booted from a real IORT (QEMU 7.2 virt, iommu=smmuv3, two PCIe expander bridges of
// which one bypasses the SMMU): which functions get the SMMU and which StreamIDs, as Linux's
// iort_iommu_configure_id() decides, and the firmware bug Linux reports for QEMU 7.2's ID counts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostDescriptionSchema } from '../description/schema';
import { bootHost } from './boot';

const FILE = join(__dirname, '..', '..', 'test', 'fixtures', 'qemu-virt-arm.yaml');

const host = () =>
  bootHost(
    hostDescriptionSchema.parse({
      name: 'qemu-virt-arm',
      cpu: { vendor: 'arm', coresPerSocket: 4 },
      numaNodes: [{ id: 0, memoryGiB: 4 }],
      firmware: { table: 'qemu-virt-smmuv3-pxb.IORT.dat' },
      pci: [
        { bdf: '00:02.0', kind: 'endpoint', class: 'nic' },
        { bdf: '00:03.0', kind: 'rootPort', acs: true },
        { bdf: '01:00.0', kind: 'endpoint', parent: '00:03.0', class: 'nvme' },
        { bdf: '10:00.0', kind: 'rootPort', acs: true },
        { bdf: '11:00.0', kind: 'endpoint', parent: '10:00.0', class: 'nic' },
        { bdf: '20:00.0', kind: 'rootPort', acs: true },
        { bdf: '21:00.0', kind: 'endpoint', parent: '20:00.0', class: 'rng' },
      ],
    }),
    { file: FILE },
  );

describe("an Arm host booted from QEMU virt's IORT", () => {
  it('one SMMUv3 at the IORT base, named as the ACPI probe names it', () => {
    const h = host();
    expect(h.firmware.signature).toBe('IORT');
    expect(h.units.map((u) => [u.unit.name, u.base])).toEqual([['arm-smmu-v3.0.auto', 0x905_0000n]]);
  });

  it('RIDs of bus 0 and of the translated expander reach the SMMU with StreamID = RID; the bypassing expander does not', () => {
    const h = host();
    const sid = (b: string) => (h.device(b).unit < 0 ? undefined : h.sourceIdOf(h.device(b).fn));
    expect(sid('00:02.0')).toBe(0x0010);
    expect(sid('11:00.0')).toBe(0x1100);
    expect(sid('21:00.0')).toBeUndefined();
    expect(h.device('21:00.0').group).toBeNull();
  });

  it("RID 0x100 falls on QEMU 7.2's off-by-one: Linux's workaround sends it to the ITS, and says so", () => {
    const h = host();
    expect(h.device('01:00.0').unit).toBe(-1);
    expect(h.device('01:00.0').group).toBeNull();
    const fw = h.bootLog.filter((l) => l.startsWith('ACPI: IORT: [Firmware Bug]'));
    // Once for the IOMMU walk (iort_iommu_configure_id()), once for the MSI one (iort_msi_map_id()).
    const pair = [
      'ACPI: IORT: [Firmware Bug]: [map 0xec] conflicting mapping for input ID 0x100',
      'ACPI: IORT: [Firmware Bug]: applying workaround.',
    ];
    expect(fw).toEqual([...pair, ...pair]);
    expect(h.warnings).toContain('firmware: ACPI: IORT: [Firmware Bug]: applying workaround.');
  });
});
