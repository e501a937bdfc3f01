// SPDX-License-Identifier: Apache-2.0
// Brute-force reference for the placement policy, written from the rules (not from the policy):
// checks a given assignment, and decides by exhaustive enumeration whether any valid one exists.
import type { HostEntry } from '../src/fleet-state';
import type { DeviceRequest, PlacementDevice, VmRequest } from '../src/model';

const ok = (d: PlacementDevice, r: DeviceRequest) =>
  d.healthy && d.deviceClass === r.deviceClass && (!d.physfn || !!r.allowVf) && (!r.vendor || d.vendor === r.vendor);

function numaOk(e: HostEntry, vm: VmRequest, node: number, d: PlacementDevice): boolean {
  const sock = (n: number) => e.host.numaNodes.find((x) => x.id === n)!.socket;
  if (vm.numaPolicy === 'required') return d.numaNode === node;
  if (vm.numaPolicy === 'socket') return sock(d.numaNode) === sock(node);
  return true;
}

/** Returns a violated rule, or undefined when the assignment is valid (usage = before commit). */
export function violation(
  e: HostEntry,
  vm: VmRequest,
  node: number,
  byAlias: Record<string, string[]>,
  ids: string[],
): string | undefined {
  const h = e.host;
  const u = e.usage;
  if (vm.devices.length && h.iommuMode === 'off') return 'iommu off';
  if (vm.acceptableModes && !vm.acceptableModes.includes(h.iommuMode)) return 'mode';
  if (vm.antiAffinityGroup && (u.antiAffinity.get(vm.antiAffinityGroup) ?? 0) > 0) return 'anti-affinity';
  const n = h.numaNodes.find((x) => x.id === node);
  if (!n) return 'node';
  if ((u.cpusUsed.get(node) ?? 0) + vm.vcpus > n.cpus || (u.memoryUsedMiB.get(node) ?? 0) + vm.memoryMiB > n.memoryMiB)
    return 'capacity';
  const held = new Set(ids);
  for (const id of ids) {
    const d = h.devices.find((x) => x.id === id)!;
    if (u.deviceOwner.has(id) || d.hostBound) return `device ${id} not free`;
    for (const m of h.devices)
      if (m.iommuGroup === d.iommuGroup && !held.has(m.id)) return `group ${d.iommuGroup} split`;
  }
  for (const r of vm.devices) {
    const got = byAlias[r.alias] ?? [];
    if (got.length < r.count) return `alias ${r.alias} short`;
    for (const id of got) {
      const d = h.devices.find((x) => x.id === id)!;
      if (!held.has(id) || !ok(d, r)) return `alias ${r.alias} bad device`;
      if (!numaOk(e, vm, node, d)) return 'numa';
    }
  }
  for (const set of vm.colocate ?? []) {
    const roots = new Set(
      set.flatMap((a) => (byAlias[a] ?? []).map((id) => h.devices.find((x) => x.id === id)!.pcieRoot)),
    );
    if (roots.size > 1) return 'colocation';
  }
  return undefined;
}

/** True when some node and some set of whole groups satisfy the VM on this host. */
export function feasible(e: HostEntry, vm: VmRequest): boolean {
  const groups = [...new Set(e.host.devices.map((d) => d.iommuGroup))];
  for (const n of e.host.numaNodes) {
    for (let mask = 0; mask < 1 << groups.length; mask++) {
      const chosen = groups.filter((_, i) => mask & (1 << i));
      const devs = e.host.devices.filter((d) => chosen.includes(d.iommuGroup));
      // Each group serves one alias (distinct classes per alias in generated requests).
      const byAlias: Record<string, string[]> = {};
      for (const r of vm.devices) {
        byAlias[r.alias] = devs.filter((d) => ok(d, r) && numaOk(e, vm, n.id, d)).map((d) => d.id);
      }
      const roots = (vm.colocate ?? []).every((set) => {
        const rs = new Set(
          set.flatMap((a) => byAlias[a]!.map((id) => e.host.devices.find((x) => x.id === id)!.pcieRoot)),
        );
        return rs.size <= 1;
      });
      if (!roots) continue;
      if (
        !violation(
          e,
          vm,
          n.id,
          byAlias,
          devs.map((d) => d.id),
        )
      )
        return true;
    }
  }
  return false;
}
