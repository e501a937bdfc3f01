// SPDX-License-Identifier: Apache-2.0
// Reconciliation: after every heartbeat, each host's recorded attachments (Redis: device -> VM)
// are compared with what its agent reports (Device.owner_vm_id).
// - A device recorded for a running VM that the agent shows free: the agent restarted and lost
//   its VMs' assignments; the attachment is re-applied (AttachDevices, idempotent by VM).
// - A device the agent shows assigned to a VM that holds nothing in Redis (the VM failed, was
//   cancelled or released): the agent is told to detach that VM, freeing what it held.
// Several schedulers may reconcile at once: both calls are idempotent on the agent.

import type { FleetStore } from '@iofleet/jobs';
import { HostChains } from './host-chain';
import type { HostRegistry, RegisteredHost } from './registry';

/** Calls one reconciliation pass may make per host (bounded work per heartbeat). */
export const MAX_RECONCILE_CALLS_PER_HOST = 64;

export interface ReconcileCounters {
  reattached: number;
  detached: number;
  errors: number;
}

export async function reconcileHost(
  store: FleetStore,
  registry: HostRegistry,
  h: RegisteredHost,
  /** The host's device -> VM map in Redis, as read for this heartbeat. */
  recorded: Readonly<Record<string, string>>,
  counters: ReconcileCounters,
  /** Where the host's agent calls are ordered (host-chain.ts); a re-attach goes in line there. */
  chain: HostChains = new HostChains(),
): Promise<void> {
  const agentOwner = new Map(h.inventory.devices.map((d) => [d.id, d.ownerVmId]));
  // The common case costs no call: the agent shows exactly what Redis records.
  let same = true;
  for (const [dev, vm] of agentOwner) if ((recorded[dev] ?? '') !== vm) same = false;
  if (same) return;
  const client = registry.client(h.agent);
  const toReattach = new Map<string, string[]>();
  const toDetach = new Set<string>();
  for (const [dev, vm] of Object.entries(recorded)) {
    if (agentOwner.has(dev) && !agentOwner.get(dev)) toReattach.set(vm, [...(toReattach.get(vm) ?? []), dev]);
  }
  const recordedVms = new Set(Object.values(recorded));
  for (const [, vm] of agentOwner) if (vm && !recordedVms.has(vm)) toDetach.add(vm);
  let calls = 0;
  for (const [vmId, devices] of toReattach) {
    if (calls++ >= MAX_RECONCILE_CALLS_PER_HOST) return;
    try {
      // In line behind the host's other agent calls, and checked again there: a VM released
      // since the heartbeat read Redis must not get its devices back.
      await chain.run(h.hostId, async () => {
        const now = await store.owners(h.hostId);
        if (!devices.every((d) => now[d] === vmId)) return;
        const rec = await store.getVm(vmId);
        if (rec?.state !== 'running') return; // an attach in progress will do it
        await client.attach(
          {
            requestId: `reconcile-${vmId}-${Date.now()}`,
            hostId: h.hostId,
            vmId,
            deviceIds: devices,
            guestMemoryMib: 0n,
          },
          5000,
        );
        counters.reattached++;
      });
    } catch {
      counters.errors++;
    }
  }
  for (const vmId of toDetach) {
    if (calls++ >= MAX_RECONCILE_CALLS_PER_HOST) return;
    try {
      await client.detach({ requestId: `reconcile-detach-${vmId}-${Date.now()}`, hostId: h.hostId, vmId }, 5000);
      counters.detached++;
    } catch {
      counters.errors++;
    }
  }
}
