// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import { gpa as toGpa, iova as toIova } from '@iofleet/core';
import { COST_INVALIDATION, COST_SOFTWARE } from '@iofleet/core/cost';
import { PERM_READ, PERM_WRITE } from '@iofleet/core/hardware';
import { DmaSim } from '@iofleet/core/linux';
import { describe, expect, it } from 'vitest';
import { loadHost } from '../boot/load';
import { VirtioIommuDomain } from './virtio-iommu';
import { Vm } from './vm';

const XEON = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts', 'intel-xeon-2s.yaml');

describe('virtio-iommu over a VFIO container', () => {
  const setup = () => {
    const host = loadHost(XEON);
    const vm = new Vm(host, { name: 'viommu', memoryMiB: 64 });
    vm.assign(['03:00.0', '03:00.1'], { viommu: true });
    const guest = new DmaSim({
      cpuCount: 2,
      profile: host.sim.cost.profile,
      bufferBasePa: 0x10_0000,
      bufferLimitPa: vm.memBytes,
    });
    const c = vm.containerOf('03:00.0')!;
    const domain = new VirtioIommuDomain(guest, c.container, { domain: c.domain, sim: host.sim });
    return { host, vm, guest, c, domain, dev: host.device('03:00.0') };
  };

  it('maps nothing at startup: guest RAM is reachable only where the guest mapped it', () => {
    const { host, vm, c, dev } = setup();
    expect(c.container.mappings).toBe(0);
    expect(host.dmaAccess(dev, 0x10_0000, false).ok).toBe(false);
    vm.release();
  });

  it('a MAP request maps guest IOVA -> HPA on the host; UNMAP removes it and flushes the host IOTLB', () => {
    const { host, vm, guest, c, domain, dev } = setup();
    const iova = 0xfff0_0000;
    const gpa = 0x20_0000;
    domain.map(toIova(iova), toGpa(gpa), 3 * 4096, PERM_READ | PERM_WRITE);
    expect(c.container.mappings).toBe(1);
    expect(domain.iovaToPhys(iova + 0x1234)).toBe(gpa + 0x1234);
    const t = host.dmaAccess(dev, iova + 0x1008, true);
    expect(t.ok).toBe(true);
    expect(t.pa).toBe(vm.hostBase + gpa + 0x1008);
    expect(() => domain.map(toIova(iova + 4096), toGpa(gpa), 4096, PERM_READ)).toThrow(/mapped/);

    const invBefore = guest.cost.totals[COST_INVALIDATION]!;
    expect(domain.unmap(toIova(iova), 3 * 4096)).toBe(3 * 4096);
    // Queued, not yet sent: the host still maps the range until the guest syncs.
    expect(c.container.mappings).toBe(1);
    domain.iotlbSync();
    expect(c.container.mappings).toBe(0);
    expect(domain.iovaToPhys(iova)).toBe(-1);
    // The host IOTLB entry the access above filled is gone: the device faults now.
    expect(host.dmaAccess(dev, iova + 0x1008, true).ok).toBe(false);
    expect(domain.requests).toBe(2);
    // The vCPU waited for both round trips, the pinning and the host's invalidation.
    expect(guest.cost.totals[COST_SOFTWARE]!).toBeGreaterThanOrEqual(
      2 * host.sim.cost.ns.viommuRequest + 3 * (host.sim.cost.ns.vfioPinPage + host.sim.cost.ns.vfioUnpinPage),
    );
    expect(guest.cost.totals[COST_INVALIDATION]!).toBeGreaterThan(invBefore);
    vm.release();
  });

  it('queued UNMAPs wait for one sync: a lazy guest pays one round trip per flush, not per unmap', () => {
    const { host, vm, guest, c, domain, dev } = setup();
    const base = 0xfff0_0000;
    for (let i = 0; i < 8; i++)
      domain.map(toIova(base + i * 4096), toGpa(0x20_0000 + i * 4096), 4096, PERM_READ | PERM_WRITE);
    expect(domain.roundTrips).toBe(8); // each MAP waits (viommu_iotlb_sync_map)
    expect(host.dmaAccess(dev, base + 5 * 4096, false).ok).toBe(true);
    const before = guest.cost.totals[COST_SOFTWARE]!;
    for (let i = 0; i < 8; i++) expect(domain.unmap(toIova(base + i * 4096), 4096)).toBe(4096);
    expect(domain.roundTrips).toBe(8);
    expect(domain.unmap(toIova(base), 4096)).toBe(0); // no longer in the guest's tree
    // The flush-queue window: the host still maps the pages, the device still reaches them.
    expect(c.container.mappings).toBe(8);
    expect(host.dmaAccess(dev, base + 5 * 4096, false).ok).toBe(true);
    domain.flushIotlbAll();
    expect(domain.roundTrips).toBe(9);
    expect(domain.requests).toBe(16);
    expect(c.container.mappings).toBe(0);
    expect(host.dmaAccess(dev, base + 5 * 4096, false).ok).toBe(false);
    const ns = host.sim.cost.ns;
    const spent = guest.cost.totals[COST_SOFTWARE]! - before;
    expect(spent).toBeCloseTo(ns.viommuRequest + 8 * ns.vfioUnpinPage, 6);
    domain.flushIotlbAll(); // nothing queued: no round trip
    expect(domain.roundTrips).toBe(9);
    vm.release();
  });
});
