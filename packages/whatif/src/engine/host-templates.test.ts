// SPDX-License-Identifier: Apache-2.0
// A variant that moves a fleet to other hardware (hostTemplates): x86 hosts replaced by Arm ones,
// simulated end to end in embedded mode.
import { pluginRegistry } from '@iofleet/plugin-registry';
import { describe, expect, it } from 'vitest';
import { SCENARIO_FILE, testScenario } from '../../test/scenario';
import type { Scenario } from '../scenario/schema';
import { simulateScenario } from './simulate';

const X86 = '../hosts/intel-xeon-2s.yaml';
const ARM = '../hosts/arm-grace-2s.yaml';

const scenario = (variants: unknown[]): Scenario =>
  testScenario({
    name: 'x86-to-arm',
    duration: '2ms',
    template: X86,
    hosts: 3,
    vms: 12,
    shapes: [
      {
        name: 'storage',
        vcpus: 4,
        memoryGiB: 16,
        devices: [{ class: 'nvme' }],
        io: [{ device: 'nvme', via: 'host', options: { qd: 32 } }],
      },
    ],
    variants,
  });

describe('a variant that moves the fleet from x86 to Arm hosts', () => {
  it('places the same VMs on the Arm hosts and runs their I/O under arm64 Linux (strict) on the SMMUv3', () => {
    const s = scenario([
      { name: 'x86', baseline: true },
      { name: 'arm', hostTemplates: { [X86]: ARM } },
      { name: 'arm-lazy', hostTemplates: { [X86]: ARM }, distro: 'nvidia-grace' },
    ]);
    const r = simulateScenario(s, SCENARIO_FILE, { plugins: pluginRegistry() });
    const [x86, arm, armLazy] = r.variants;
    expect(r.hosts).toBe(3);
    const hostsOf = (v: string) => new Set(Object.values(r.assignments[v]!).map((a) => a.hostId.replace(/-\d+$/, '')));
    expect(hostsOf('x86')).toEqual(new Set(['intel-xeon-2s']));
    expect(hostsOf('arm')).toEqual(new Set(['arm-grace-2s']));
    // Arm devices carry their segment (0000:/0001:), as the Arm host names them.
    expect(Object.values(r.assignments.arm!).every((a) => a.deviceIds.every((d) => /^000[01]:/.test(d)))).toBe(true);
    // 12 long-lived VMs of one NVMe each: 3 x86 hosts have 9 drives, 3 Arm hosts 24.
    expect(x86!.placement.placed).toBe(9);
    expect(arm!.placement.placed).toBe(12);
    // x86 upstream is lazy, arm64 upstream strict: the Arm fleet's host NVMe I/O costs more CPU per I/O;
    // NVIDIA's Grace kernel (lazy) costs less than strict.
    const cpu = (v: typeof arm) => v!.io.find((c) => c.deviceClass === 'nvme')!.cpuNsPerIo;
    expect(cpu(arm)).toBeGreaterThan(cpu(armLazy));
    expect(cpu(arm)).toBeGreaterThan(cpu(x86));
  });

  it('names an entry that is not in the fleet with its path', () => {
    expect(() => scenario([{ name: 'arm', hostTemplates: { '../hosts/nope.yaml': ARM } }])).toThrow(/no fleet entry/);
  });
});
