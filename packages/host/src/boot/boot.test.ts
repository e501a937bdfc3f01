// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHost } from './load';

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
    expect(d.group!.domain!.iovaToPhys(base)).toBe(base);
  });
});
