// SPDX-License-Identifier: Apache-2.0
// Host registry: the agents the scheduler drives (listed statically), their hosts' inventories,
// and heartbeats (GetInventory). An agent whose inventory shows a recorded attachment missing has
// restarted, and the reconciler re-applies it.
//
// Liveness tells an agent that is gone from one that is slow. A refused or reset connection
// (UNAVAILABLE: the process died, its port is closed) marks its hosts down after
// DEAD_AFTER_MISSED_HEARTBEATS heartbeats; an agent that answers late (DEADLINE_EXCEEDED: busy, or
// a loaded machine) is only marked down after SILENT_DEAD_MS without an answer. A machine under
// CPU load therefore never loses hosts it still has, which would change placements.

import { AgentCallError, AgentClient, type AgentClientOptions, type HostInventory } from '@iofleet/proto';

export interface RegisteredHost {
  hostId: string;
  agent: string;
  inventory: HostInventory;
  lastSeenMs: number;
  alive: boolean;
}

/** Heartbeats an unreachable agent (connection refused or reset) may miss before its hosts are down. */
export const DEAD_AFTER_MISSED_HEARTBEATS = 3;
/** How long an agent may answer nothing at all (slow, not refusing) before its hosts are down, ms. */
export const SILENT_DEAD_MS = 30_000;
/** gRPC status of a refused or reset connection. */
const UNAVAILABLE = 14;

interface AgentHealth {
  lastSeenMs: number;
  /** Consecutive heartbeats that failed because the agent was unreachable. */
  refused: number;
}

export class HostRegistry {
  readonly hosts = new Map<string, RegisteredHost>();
  private readonly clients = new Map<string, AgentClient>();
  private readonly health = new Map<string, AgentHealth>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Called after each refresh with the hosts whose inventory was (re)read. */
  onRefresh?: (hosts: RegisteredHost[]) => void | Promise<void>;
  /** Called when a host goes down or comes back (after onRefresh). */
  onLiveness?: (hosts: RegisteredHost[], alive: boolean) => void | Promise<void>;

  constructor(
    readonly agents: readonly string[],
    readonly heartbeatMs = 1000,
    /** TLS files and deadlines for the agents (the shared AgentClient of @iofleet/proto). */
    private readonly clientOptions: AgentClientOptions = {},
    private readonly silentDeadMs = Math.max(SILENT_DEAD_MS, 10 * heartbeatMs),
  ) {
    const now = Date.now();
    for (const a of agents) this.health.set(a, { lastSeenMs: now, refused: 0 });
  }

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

  /** True when the host is registered and its agent is not judged gone. */
  isAlive(hostId: string): boolean {
    return this.hosts.get(hostId)?.alive ?? false;
  }

  private inventoryOf(agent: string): Promise<HostInventory[]> {
    return this.client(agent).inventory('', Math.max(1000, this.heartbeatMs));
  }

  /** Polls every agent once; returns the hosts that answered. */
  async refresh(): Promise<RegisteredHost[]> {
    const now = Date.now();
    const seen: RegisteredHost[] = [];
    const answered = new Set<string>();
    await Promise.all(
      this.agents.map(async (agent) => {
        const health = this.health.get(agent)!;
        try {
          const inventories = await this.inventoryOf(agent);
          health.lastSeenMs = Date.now();
          health.refused = 0;
          answered.add(agent);
          for (const inventory of inventories) {
            const h = { hostId: inventory.hostId, agent, inventory, lastSeenMs: health.lastSeenMs, alive: true };
            const prev = this.hosts.get(h.hostId);
            // Liveness changes are reported by the pass below, so keep the previous flag for now.
            this.hosts.set(h.hostId, { ...h, alive: prev ? prev.alive : true });
            seen.push(this.hosts.get(h.hostId)!);
          }
        } catch (e) {
          if (e instanceof AgentCallError && e.code === UNAVAILABLE) health.refused++;
        }
      }),
    );
    await this.onRefresh?.(seen);
    const down: RegisteredHost[] = [];
    const up: RegisteredHost[] = [];
    for (const h of this.hosts.values()) {
      const health = this.health.get(h.agent)!;
      const gone = health.refused >= DEAD_AFTER_MISSED_HEARTBEATS || now - health.lastSeenMs > this.silentDeadMs;
      const alive = answered.has(h.agent) || (h.alive && !gone);
      if (alive !== h.alive) (alive ? up : down).push(h);
      h.alive = alive;
    }
    if (down.length) await this.onLiveness?.(down, false);
    if (up.length) await this.onLiveness?.(up, true);
    return seen;
  }

  /**
   * The first refresh: polls until every listed agent has answered once, or `waitMs` passed, so
   * the placement view starts with the whole fleet (in host id order) rather than with the agents
   * that happened to answer first.
   */
  async refreshUntilComplete(waitMs: number): Promise<number> {
    const end = Date.now() + waitMs;
    const answered = new Set<string>();
    for (;;) {
      for (const h of await this.refresh()) answered.add(h.agent);
      if (answered.size >= this.agents.length || Date.now() >= end || this.stopped) return answered.size;
      await new Promise((r) => setTimeout(r, Math.min(200, this.heartbeatMs)));
    }
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      void this.refresh()
        .catch(() => undefined)
        .finally(() => {
          if (this.stopped) return;
          this.timer = setTimeout(tick, this.heartbeatMs);
          this.timer.unref();
        });
    };
    this.timer = setTimeout(tick, this.heartbeatMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
