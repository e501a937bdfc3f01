// SPDX-License-Identifier: Apache-2.0
// Page walkers belong to the IOMMU unit (sdk-runtime page-walkers.ts): two devices behind one
// VT-d unit wait for each other's walks; devices on two units do not.
import { join } from 'node:path';
import { pluginRegistry } from '@iofleet/plugin-registry';
import { describe, expect, it } from 'vitest';
import type { HostImpl } from '../boot/host';
import { loadHost } from '../boot/load';
import { attachPlugin, type PluginDevice } from './plugin-devices';

const FILE = join(__dirname, '..', '..', '..', '..', 'examples', 'hosts', 'intel-xeon-2s.yaml');
/** Two NVMe drives behind the socket-1 unit's switch, and one behind the socket-0 (INCLUDE_ALL) unit. */
const UNIT0_A = '0000:83:00.0';
const UNIT0_B = '0000:84:00.0';
const UNIT1 = '0000:01:00.0';
/** Pages each device reads: every one a first touch, so every one an IOTLB miss and a walk. */
const PAGES = 48;

function device(h: HostImpl, bdf: string): PluginDevice {
  return attachPlugin(h, h.device(bdf), pluginRegistry().get('nvme')!, {});
}

/** Maps PAGES fresh pages for `pd`; returns their DMA addresses. */
function mapped(pd: PluginDevice): number[] {
  const { dma, memory } = pd.runtime.ctx;
  const pa = memory.allocPages(PAGES);
  return Array.from({ length: PAGES }, (_, i) => dma.mapSingle(pa + i * 4096, 4096, 'to-device'));
}

/**
 * Both devices issue, at `at`, one 64 B read per page, each an independent request (its own
 * tag, as pcie-bench's reads: sdk bus.request); returns when each device's last read is done.
 */
function burst(a: PluginDevice, b: PluginDevice, at: number): [number, number] {
  const pages = [mapped(a), mapped(b)];
  return [a, b].map((pd, i) => {
    const rt = pd.runtime;
    let end = at;
    for (const p of pages[i]!) {
      const before = rt.stats.ioNs;
      rt.startDeviceWork(at);
      expect(rt.ctx.bus.request(p, 64, false)).toBe(true);
      end = Math.max(end, at + rt.stats.ioNs - before);
    }
    return end - at;
  }) as [number, number];
}

describe('page walkers are per IOMMU unit', () => {
  it('the two devices of one unit share its walkers; the devices of two units do not', () => {
    const h = loadHost(FILE, { cmdline: 'iommu.strict=1' });
    const [a, b, c] = [device(h, UNIT0_A), device(h, UNIT0_B), device(h, UNIT1)];
    expect(h.device(UNIT0_A).unit).toBe(h.device(UNIT0_B).unit);
    expect(h.device(UNIT1).unit).not.toBe(h.device(UNIT0_A).unit);
    expect(a.runtime.walkers).toBe(b.runtime.walkers);
    expect(c.runtime.walkers).not.toBe(a.runtime.walkers);

    const t = 1e9;
    const [alone, behind] = burst(a, b, t); // one unit: b's walks queue behind a's
    const [first, apart] = burst(a, c, 2 * t); // two units: c walks on its own unit's walkers
    // Every read missed: a burst is PAGES walks, `pageWalkers` of them at once.
    const rounds = Math.ceil(PAGES / a.runtime.walkers.count);
    expect(rounds).toBeGreaterThan(1);
    const near = (x: number, y: number) => Math.abs(x - y) / y;
    expect(near(first, alone)).toBeLessThan(0.1);
    // Sharing: b's walks queue behind a's on the unit's walkers, so its burst takes about twice
    // as long as a's (a's rounds, then its own).
    expect(near(behind, 2 * alone)).toBeLessThan(0.15);
    // Apart: c's burst costs what a's does alone.
    expect(near(apart, first)).toBeLessThan(0.1);
  });
});
