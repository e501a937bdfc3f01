// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import { iova as toIova } from '@iofleet/core';
import { describe, expect, it } from 'vitest';
import { bootHost } from './boot';
import { loadHost, loadHostDescription } from './load';

const EXAMPLES = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts');

describe('booting a described host from the firmware iofleet builds for it', () => {
  it('Intel: the socket-1 ports and everything below them belong to dmar0, the rest to INCLUDE_PCI_ALL dmar1', () => {
    const h = loadHost(join(EXAMPLES, 'intel-xeon-2s.yaml'));
    expect(h.units.map((u) => u.unit.name)).toEqual(['dmar0', 'dmar1']);
    for (const d of h.devices) expect(d.unit, d.fn.text).toBe(d.fn.text.startsWith('8') ? 0 : 1);
  });

  it('SR-IOV virtual functions get their own groups behind an ACS port; a GPU and its audio function share one', () => {
    const h = loadHost(join(EXAMPLES, 'intel-xeon-2s.yaml'));
    const groupOf = (b: string) => h.device(b).group!.id;
    expect(h.devices.filter((d) => d.fn.desc.virtfnOf === '02:00.0')).toHaveLength(8);
    expect(groupOf('02:02.0')).not.toBe(groupOf('02:02.1'));
    expect(groupOf('03:00.0')).toBe(groupOf('03:00.1'));
  });

  it('iommu=pt gives identity domains; iommu.strict=1 DMA; the default DMA-FQ', () => {
    const file = join(EXAMPLES, 'amd-epyc-1s.yaml');
    const types = (cmdline: string) =>
      new Set(
        loadHost(file, { cmdline })
          .sysfsGroups()
          .map((g) => g.type),
      );
    expect(types('iommu=pt')).toEqual(new Set(['identity']));
    expect(types('iommu.strict=1')).toEqual(new Set(['DMA']));
    expect(types('')).toEqual(new Set(['DMA-FQ']));
  });

  it('a distribution preset whose kernel leaves VT-d off boots without groups unless intel_iommu=on', () => {
    const file = join(EXAMPLES, 'intel-laptop-rmrr.yaml');
    const off = loadHost(file, { distro: 'rhel9' });
    const on = loadHost(file, { distro: 'rhel9', cmdline: 'intel_iommu=on' });
    expect(off.desc.kernel.cmdline).not.toContain('intel_iommu=on');
    expect(off.iommuEnabled).toBe(false);
    expect(off.groups).toHaveLength(0);
    expect(on.iommuEnabled).toBe(true);
    expect(on.bootLog).toContain('DMAR: IOMMU enabled');
  });

  it('RMRR ranges are identity-mapped into the device default domain', () => {
    const h = loadHost(join(EXAMPLES, 'intel-laptop-rmrr.yaml'), { cmdline: 'intel_iommu=on' });
    const [bdf, ranges] = [...h.firmware.reserved.entries()][0]!;
    const d = h.device(bdf);
    const base = Number(ranges[0]![0]);
    expect(d.group!.domain!.iovaToPhys(toIova(base))).toBe(base);
  });

  it('a unit in caching mode (a virtual IOMMU) forces strict invalidation: DMA groups and the line intel_iommu_init() prints', () => {
    const file = join(EXAMPLES, 'intel-xeon-2s.yaml');
    const desc = loadHostDescription(file);
    const h = bootHost({ ...desc, iommu: { ...desc.iommu, cachingMode: true } }, { file });
    expect(new Set(h.sysfsGroups().map((g) => g.type))).toEqual(new Set(['DMA']));
    const log = h.bootLog;
    const at = log.indexOf('DMAR: IOMMU batching disallowed due to virtualization');
    expect(at).toBeGreaterThan(log.lastIndexOf('DMAR: dmar1: Using Queued invalidation'));
    expect(at).toBeLessThan(log.findIndex((l) => l.includes('Adding to iommu group')));
    expect(log.filter((l) => l.includes('batching'))).toHaveLength(1); // pr_info_once
    expect(log).toContain('iommu: DMA domain TLB invalidation policy: lazy mode'); // printed before, by iommu_subsys_init()
    expect(
      new Set(
        loadHost(file)
          .sysfsGroups()
          .map((g) => g.type),
      ),
    ).toEqual(new Set(['DMA-FQ']));
  });

  it('the DMAR platform opt-in with an external-facing port forces VT-d on (pass-through by default when the kernel had it off), even with iommu=off', () => {
    const file = join(EXAMPLES, 'intel-laptop-rmrr.yaml');
    const base = loadHostDescription(file);
    const desc = {
      ...base,
      iommu: { ...base.iommu, platformOptIn: true },
      pci: base.pci.map((p) => (p.bdf === '00:07.0' ? { ...p, externalFacing: true } : p)),
    };
    const FORCED = 'DMAR: Intel-IOMMU force enabled due to platform opt in';
    const rhel = bootHost(desc, { file, distro: 'rhel9' }); // INTEL_IOMMU_DEFAULT_ON=n
    expect(rhel.iommuEnabled).toBe(true);
    expect(rhel.bootLog).toContain(FORCED);
    expect(rhel.bootLog.indexOf(FORCED)).toBeGreaterThan(
      rhel.bootLog.indexOf('iommu: Default domain type: Translated'),
    );
    const type = (h: typeof rhel, bdf: string) => h.sysfsGroups().find((g) => g.devices.includes(bdf))!.type;
    expect(type(rhel, '0000:6c:00.0')).toBe('identity');
    expect(type(rhel, '0000:20:00.0')).toBe('DMA'); // untrusted, behind the Thunderbolt port
    const off = bootHost(desc, { file, cmdline: 'iommu=off' }); // upstream: on by default
    expect(off.iommuEnabled).toBe(true);
    expect(off.bootLog).toContain(FORCED);
    expect(type(off, '0000:6c:00.0')).toBe('DMA-FQ');
    const upstream = bootHost(desc, { file });
    expect(upstream.bootLog).not.toContain(FORCED); // on anyway: nothing to say
    expect(bootHost(desc, { file, cmdline: 'intel_iommu=off' }).iommuEnabled).toBe(false);
    expect(
      bootHost({ ...desc, iommu: { ...desc.iommu, platformOptIn: false } }, { file, distro: 'rhel9' }).iommuEnabled,
    ).toBe(false);
  });
});
