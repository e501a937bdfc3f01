// SPDX-License-Identifier: Apache-2.0
// Host registry: the agents the scheduler drives (listed statically), their hosts' inventories,
// and heartbeats. A host is alive while its agent answers Health; an agent whose inventory shows
// a recorded attachment missing has restarted, and the reconciler re-applies it.

import { AgentClient, type AgentClientOptions, type HostInventory } from '@iofleet/proto';

export interface RegisteredHost {
  hostId: string;
  agent: string;
  inventory: HostInventory;
  lastSeenMs: number;
  alive: boolean;
}

/** Missed heartbeats after which a host is considered dead. */
export const DEAD_AFTER_MISSED_HEARTBEATS = 3;

export class HostRegistry {
  readonly hosts = new Map<string, RegisteredHost>();
  private readonly clients = new Map<string, AgentClient>();
  private timer?: NodeJS.Timeout;
  /** Called after each refresh with the hosts whose inventory was (re)read. */
  onRefresh?: (hosts: RegisteredHost[]) => void | Promise<void>;

  constructor(
    readonly agents: readonly string[],
    readonly heartbeatMs = 1000,
    /** TLS files and deadlines for the agents (the shared AgentClient of @iofleet/proto). */
    private readonly clientOptions: AgentClientOptions = {},
  ) {}

  client(agent: string): AgentClient {
    let c = this.clients.get(agent);
    if (!c) {
      c = new AgentClient(agent, this.clientOptions);
      this.clients.set(agent, c);
    }
    return c;
  }

  clientForHost(hostId: string): AgentClient | undefined {
    const h = this.hosts.get(hostId);
    return h ? this.client(h.agent) : undefined;
  }

  private inventoryOf(agent: string): Promise<HostInventory[]> {
    return this.client(agent).inventory('', Math.max(500, this.heartbeatMs));
  }

  /** Polls every agent once; returns the hosts that answered. */
  async refresh(): Promise<RegisteredHost[]> {
    const now = Date.now();
    const seen: RegisteredHost[] = [];
    await Promise.all(
      this.agents.map(async (agent) => {
        try {
          for (const inventory of await this.inventoryOf(agent)) {
            const h = { hostId: inventory.hostId, agent, inventory, lastSeenMs: now, alive: true };
            this.hosts.set(h.hostId, h);
            seen.push(h);
          }
        } catch {
          // Missed heartbeat: judged below by age.
        }
      }),
    );
    for (const h of this.hosts.values()) {
      if (now - h.lastSeenMs > DEAD_AFTER_MISSED_HEARTBEATS * this.heartbeatMs) h.alive = false;
    }
    await this.onRefresh?.(seen);
    return seen;
  }

  start(): void {
    const tick = () => {
      void this.refresh().finally(() => {
        this.timer = setTimeout(tick, this.heartbeatMs);
        this.timer.unref();
      });
    };
    tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
