// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootHost } from '../boot/boot';
import { loadHost } from '../boot/load';
import { hostDescriptionSchema } from '../description/schema';
import { parseYamlWithSchema } from '../description/yaml-schema';
import { isHostError } from '../errors';
import { Vm } from './vm';

const XEON = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts', 'intel-xeon-2s.yaml');

const vfioMessage = (fn: () => void) => {
  try {
    fn();
  } catch (e) {
    if (isHostError(e) && e.code === 'VFIO') return e.message;
    throw e;
  }
  return 'assigned';
};

describe('VFIO group viability', () => {
  it('assigning one function of a multifunction device without ACS fails with Linux message', () => {
    const host = loadHost(XEON);
    expect(host.device('03:00.0').group).toBe(host.device('03:00.1').group);
    const vm = new Vm(host, { name: 'g1', memoryMiB: 64 });
    const group = host.device('03:00.0').group!.id;
    expect(vfioMessage(() => vm.assign(['03:00.0']))).toBe(
      `vfio 0000:03:00.0: group ${group} is not viable\nPlease ensure all devices within the iommu_group are bound to their vfio bus driver.`,
    );
    expect(vm.assigned).toEqual([]);
  });

  it('assigning the whole group works, and guest DMA goes GPA -> HPA through the UNMANAGED domain', () => {
    const host = loadHost(XEON);
    const vm = new Vm(host, { name: 'g2', memoryMiB: 64 });
    expect(vfioMessage(() => vm.assign(['03:00.0', '03:00.1']))).toBe('assigned');
    const dev = host.device('03:00.0');
    const gpa = 0x12_3000;
    const t = host.dmaAccess(dev, gpa, true);
    expect(t.ok).toBe(true);
    expect(t.pa).toBe(vm.hostBase + gpa);
    // Outside guest RAM the IOMMU faults (the container mapped only guest memory).
    expect(host.dmaAccess(dev, vm.memBytes + 0x1000, false).ok).toBe(false);
    expect(vm.domainOf('03:00.1')).toBe(vm.domainOf('03:00.0'));
  });

  it('release() returns the group to its default domain and frees guest memory and the domain', () => {
    const host = loadHost(XEON);
    const dev = host.device('03:00.0');
    const pagesBefore = host.sim.pages.pagesInUse;
    for (let i = 0; i < 3; i++) {
      const vm = new Vm(host, { name: `r${i}`, memoryMiB: 32 });
      vm.assign(['03:00.0', '03:00.1']);
      expect(host.dmaAccess(dev, 0x1000, false).pa).toBe(vm.hostBase + 0x1000);
      expect(vm.release().map((d) => d.fn.text)).toEqual(['03:00.0', '03:00.1']);
      expect(host.sim.pages.pagesInUse).toBe(pagesBefore);
      // Back in its DMA-FQ default domain: an IOVA the DMA API never mapped faults again.
      expect(host.dmaAccess(dev, 0x1000, false).ok).toBe(false);
    }
  });

  it('a device whose IOMMU is off cannot be assigned', () => {
    const host = loadHost(XEON, { cmdline: 'intel_iommu=off' });
    const vm = new Vm(host, { name: 'g3', memoryMiB: 16 });
    expect(vfioMessage(() => vm.assign(['01:00.0']))).toMatch(/no IOMMU group .* error -22/);
  });

  it('an RMRR blocks assignment unless it is relaxable (USB, graphics), as device_rmrr_is_relaxable() says', () => {
    const text = `name: rmrr
cpu: { vendor: intel, coresPerSocket: 4 }
numaNodes: [{ id: 0, memoryGiB: 8 }]
iommu:
  rmrr:
    - { base: 0x6d000000, end: 0x6d0fffff, devices: ["00:14.0"] }
    - { base: 0x6e000000, end: 0x6e0fffff, devices: ["00:17.0"] }
pci:
  - { bdf: "00:14.0", kind: endpoint, class: usb }
  - { bdf: "00:17.0", kind: endpoint, class: sata }
`;
    const host = bootHost(parseYamlWithSchema(text, 'rmrr.yaml', hostDescriptionSchema).value, { file: 'rmrr.yaml' });
    expect(vfioMessage(() => new Vm(host, { name: 'u', memoryMiB: 16 }).assign(['00:14.0']))).toBe('assigned');
    expect(vfioMessage(() => new Vm(host, { name: 's', memoryMiB: 16 }).assign(['00:17.0']))).toBe(
      '0000:00:17.0: Device is ineligible for IOMMU domain attach due to platform RMRR requirement.  Contact your platform vendor.',
    );
  });
});
