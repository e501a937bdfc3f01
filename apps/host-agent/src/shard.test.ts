// SPDX-License-Identifier: Apache-2.0
// A shard boots one copy of its template up front and each host only when first used: the
// inventory of an unbooted copy is that of a booted one, and an attach boots exactly its host.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadShard } from './shard';

const TEMPLATE = join(__dirname, '..', 'test', 'fixtures', 'agent-host.yaml');

describe('loadShard', () => {
  it('boots a host on first use; inventories are the same before and after', () => {
    const hosts = loadShard({ template: TEMPLATE, hosts: 3, prefix: 'n' });
    expect(hosts.map((h) => h.hostId)).toEqual(['n-0000', 'n-0001', 'n-0002']);
    expect(hosts.some((h) => h.isBooted)).toBe(false);
    const before = hosts[1]!.inventory();
    expect(hosts[1]!.isBooted).toBe(false);
    const dev = before.devices.find((d) => !d.hostBound)!;
    hosts[1]!.attach('vm1', [dev.id], 16);
    expect(hosts.map((h) => h.isBooted)).toEqual([false, true, false]);
    const after = hosts[1]!.inventory();
    const owned = after.devices.filter((d) => d.ownerVmId === 'vm1').map((d) => d.id);
    expect(owned).toContain(dev.id);
    const strip = (i: typeof before) => ({ ...i, devices: i.devices.map((d) => ({ ...d, ownerVmId: '' })) });
    expect(strip(after)).toEqual(strip(before));
    expect(hosts[0]!.inventory().devices.every((d) => d.ownerVmId === '')).toBe(true);
  });
});
