// SPDX-License-Identifier: Apache-2.0
// Booting an Arm host from its IORT as Linux does: SMMUv3 units per node, StreamIDs from the root
// complex's ID mappings, groups from the PCI topology, arm64's default domain types.
import { join } from 'node:path';
import { hpa as toHpa, iova as toIova } from '@iofleet/core';
import { SmmuV3Unit } from '@iofleet/core/hardware';
import { describe, expect, it } from 'vitest';
import type { HostDescription } from '../description/schema';
import { bootHost } from './boot';
import { loadHost, loadHostDescription } from './load';

const FILE = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts', 'arm-grace-2s.yaml');

function smmuOf(h: ReturnType<typeof loadHost>, bdf: string): SmmuV3Unit {
  const u = h.units[h.device(bdf).unit]!.unit;
  if (!(u instanceof SmmuV3Unit)) throw new Error(`${bdf} is not behind an SMMUv3`);
  return u;
}

describe('an Arm host boots from the IORT iofleet builds for it', () => {
  it('one SMMUv3 per IORT node, named and probed as Linux prints it, with its proximity domain', () => {
    const h = loadHost(FILE);
    expect(h.firmware.signature).toBe('IORT');
    expect(h.units.map((u) => [u.kind, u.unit.name, u.base])).toEqual([
      ['smmu', 'arm-smmu-v3.0.auto', 0x1100_0000n],
      ['smmu', 'arm-smmu-v3.1.auto', 0x1200_0000n],
    ]);
    expect(h.bootLog).toContain('ACPI: IORT: SMMU-v3[12000000] Mapped to Proximity domain 1');
    expect(h.bootLog).toContain('arm-smmu-v3 arm-smmu-v3.1.auto: allocated 256 entries for cmdq');
    expect(h.sim.cost.profile.name).toBe('arm-neoverse-grace');
  });

  it('stream IDs come from the root complex ID mappings: RID on segment 0, 0x10000 + RID on segment 1', () => {
    const h = loadHost(FILE);
    expect(h.sourceIdOf(h.device('0000:03:00.0').fn)).toBe(0x0300);
    expect(h.sourceIdOf(h.device('0001:03:00.0').fn)).toBe(0x1_0300);
    expect(h.device('0000:03:00.0').unit).toBe(0);
    expect(h.device('0001:03:00.0').unit).toBe(1);
    // The root complexes' IORT ATS attribute follows iommu.ats (off in the example).
    expect(h.firmware.atsOf!(h.device('0000:03:00.0').fn)).toBe(false);
    const desc = loadHostDescription(FILE);
    const ats = bootHost({ ...desc, iommu: { ...desc.iommu, ats: true } }, { file: FILE });
    expect(ats.firmware.atsOf!(ats.device('0000:03:00.0').fn)).toBe(true);
  });

  it("a device's DMA is translated under its stream ID; a fault names that stream ID in Linux's event line", () => {
    const h = loadHost(FILE);
    const dev = h.device('0001:03:00.0');
    const domain = dev.group!.domain!;
    const pa = h.sim.pages.allocPages(1);
    domain.map(toIova(0x10_0000), toHpa(pa), 4096, 3);
    const ok = h.dmaAccess(dev, 0x10_0010, false);
    expect([ok.ok, ok.pa]).toEqual([true, pa + 0x10]);
    const bad = h.dmaAccess(dev, 0x20_0000, false);
    expect(bad.ok).toBe(false);
    const lines = smmuOf(h, '0001:03:00.0').drainLog();
    expect(lines.some((l) => /F_TRANSLATION client: 0001:03:00\.0 sid: 0x10300 /.test(l))).toBe(true);
  });

  it('arm64 upstream is strict, NVIDIA Grace kernels lazy, iommu.passthrough=1 bypass STEs', () => {
    const types = (opts: { distro?: string; cmdline?: string }) =>
      new Set(
        loadHost(FILE, opts)
          .sysfsGroups()
          .map((g) => g.type),
      );
    expect(types({})).toEqual(new Set(['DMA']));
    expect(types({ distro: 'nvidia-grace' })).toEqual(new Set(['DMA-FQ']));
    expect(types({ cmdline: 'iommu.strict=0' })).toEqual(new Set(['DMA-FQ']));
    const pt = loadHost(FILE, { cmdline: 'iommu.passthrough=1' });
    expect(new Set(pt.sysfsGroups().map((g) => g.type))).toEqual(new Set(['identity']));
    // A bypass STE: the bus address is the physical address, no mapping needed.
    const r = pt.dmaAccess(pt.device('0000:04:00.0'), 0x1234_5000, true);
    expect([r.ok, r.pa]).toEqual([true, 0x1234_5000]);
  });

  it('x86 parameters (iommu=pt, intel_iommu=on) are unknown to arm64 Linux: said in the boot log and warnings, no effect', () => {
    const h = loadHost(FILE, { cmdline: 'iommu=pt intel_iommu=on' });
    expect(new Set(h.sysfsGroups().map((g) => g.type))).toEqual(new Set(['DMA']));
    expect(h.bootLog).toContain(
      'Unknown kernel command line parameters "iommu=pt intel_iommu=on", will be passed to user space.',
    );
    expect(h.warnings.some((w) => w.startsWith('kernel command line: iommu=pt intel_iommu=on: x86 parameters'))).toBe(
      true,
    );
    // The same line on an x86 host is understood.
    expect(
      loadHost(FILE.replace('arm-grace-2s', 'intel-xeon-2s'), { cmdline: 'iommu=pt' }).sysfsGroups()[0]!.type,
    ).toBe('identity');
  });

  it('RIDs the IORT sends straight to the ITS have no SMMU and no group; a switch without ACS shares one group', () => {
    const desc: HostDescription = loadHostDescription(FILE);
    const iommu = { ...desc.iommu, units: [{ ...desc.iommu.units![0]!, rids: [0x0000, 0x03ff] as [number, number] }] };
    const pci = desc.pci.map((p) => (p.kind === 'switchDownstream' ? { ...p, acs: false } : p));
    const h = bootHost({ ...desc, iommu, pci }, { file: FILE });
    expect(h.device('0000:03:00.0').group).not.toBeNull();
    for (const b of ['0000:04:00.0', '0000:07:00.0', '0001:03:00.0']) {
      expect(h.device(b).unit, b).toBe(-1);
      expect(h.device(b).group, b).toBeNull();
    }
    // 03:00.0 sits below a downstream port without ACS: pci_device_group() joins its siblings' group
    // (the other SSDs are outside the SMMU here, so the group holds the ports above and 03:00.0).
    const g = h.device('0000:03:00.0').group!;
    expect(g.functions.map((f) => f.text)).toContain('02:00.0');
  });
});

describe('an Arm host with RMRs and a 64 KiB kernel', () => {
  it("identity-maps an RMR into the default domain of the device whose StreamID it names, at the kernel's granule", () => {
    const desc: HostDescription = loadHostDescription(FILE);
    const h = bootHost(
      {
        ...desc,
        iommu: {
          ...desc.iommu,
          pageSize: '64K',
          rmr: [{ base: 0x8000_0000, end: 0x8001_ffff, devices: ['0001:04:00.0'] }],
        },
      },
      { file: FILE },
    );
    const d = h.device('0001:04:00.0');
    expect(h.firmware.reserved.get(d.fn.text)).toEqual([[0x8000_0000n, 0x8001_ffffn]]);
    expect(d.group!.domain!.pageSizesLg2[0]).toBe(16);
    expect(d.group!.domain!.iovaToPhys(toIova(0x8001_0040))).toBe(0x8001_0040);
    expect(h.device('0001:03:00.0').group!.domain!.iovaToPhys(toIova(0x8000_0000))).toBeLessThan(0);
  });
});
