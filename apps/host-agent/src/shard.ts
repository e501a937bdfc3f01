// SPDX-License-Identifier: Apache-2.0
// A shard of hosts from one template file: `--template host.yaml --hosts N` boots N copies of the
// host model with ids derived deterministically (<prefix>-0000, <prefix>-0001, ...), so restarting
// an agent with the same flags serves the same host ids.

import { bootHost, loadHostDescription, type PluginRegistry } from '@iofleet/host';
import { pluginRegistry } from '@iofleet/plugin-registry';
import type { IofleetMetrics } from '@iofleet/telemetry';
import { ModelBackend } from './model-backend';

/** Bound on hosts one agent process serves (memory: each is a full model). */
export const MAX_HOSTS_PER_AGENT = 4096;

export function hostIdFor(prefix: string, i: number): string {
  return `${prefix}-${String(i).padStart(4, '0')}`;
}

export interface ShardOptions {
  template: string;
  hosts: number;
  /** Host id prefix (default: the template's host name). */
  prefix?: string;
  /** First index of this shard (several agents can split one fleet: --first 100 --hosts 100). */
  first?: number;
  /** Device plugins (default: the built-in ones, as the CLI loads them). */
  plugins?: PluginRegistry;
  metrics?: IofleetMetrics;
}

export function loadShard(o: ShardOptions): ModelBackend[] {
  if (!Number.isInteger(o.hosts) || o.hosts < 1 || o.hosts > MAX_HOSTS_PER_AGENT)
    throw new RangeError(`--hosts must be an integer in 1..${MAX_HOSTS_PER_AGENT}, got ${o.hosts}`);
  const desc = loadHostDescription(o.template);
  const prefix = o.prefix ?? desc.name;
  const first = o.first ?? 0;
  const plugins = o.plugins ?? pluginRegistry();
  // Copies of one description are alike until a VM or a workload changes one: one boot serves the
  // inventory of all, and each copy boots when it is first used (a shard of thousands of hosts
  // starts in the time of one boot, and only hosts that get VMs cost memory).
  const boot = () => bootHost(desc, { file: o.template });
  const shape = boot();
  return Array.from({ length: o.hosts }, (_, k) => {
    const id = hostIdFor(prefix, first + k);
    return new ModelBackend(id, boot, desc, plugins, o.template, o.metrics, shape);
  });
}
