// SPDX-License-Identifier: Apache-2.0
// Device ownership and VM records in Redis, shared by every scheduler process. Reservation is
// one Lua script (atomic on the Redis server), so however many schedulers race, a device has at
// most one owner: the loser gets the conflicting device back and re-places with fresh state.

import type { Redis } from 'ioredis';

const P = 'iofleet';
export const ownerKey = (hostId: string) => `${P}:owner:${hostId}`;
export const vmKey = (vmId: string) => `${P}:vm:${vmId}`;

/**
 * KEYS[1] owner hash of the host; ARGV[1] vm id; ARGV[2..] device ids.
 * Returns {1} when every device is now owned by the VM (idempotent for its own devices),
 * or {0, device, owner} naming the first device another VM holds (nothing written).
 */
const RESERVE_LUA = `
for i = 2, #ARGV do
  local owner = redis.call('HGET', KEYS[1], ARGV[i])
  if owner and owner ~= ARGV[1] then return {0, ARGV[i], owner} end
end
for i = 2, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], ARGV[1]) end
return {1}
`;

/** KEYS[1] owner hash; ARGV[1] vm id; ARGV[2..] devices. Frees only devices the VM owns; returns how many. */
const RELEASE_LUA = `
local n = 0
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[i]); n = n + 1 end
end
return n
`;

export type ReserveResult = { ok: true } | { ok: false; device: string; owner: string };

export interface VmRecord {
  vmId: string;
  state: string;
  hostId?: string;
  deviceIds?: string[];
  reason?: string;
  requestId?: string;
  updatedMs: number;
}

export class FleetStore {
  constructor(private readonly redis: Redis) {}

  async reserve(hostId: string, vmId: string, deviceIds: readonly string[]): Promise<ReserveResult> {
    const r = (await this.redis.eval(RESERVE_LUA, 1, ownerKey(hostId), vmId, ...deviceIds)) as [
      number,
      string?,
      string?,
    ];
    return r[0] === 1 ? { ok: true } : { ok: false, device: r[1]!, owner: r[2]! };
  }

  async release(hostId: string, vmId: string, deviceIds: readonly string[]): Promise<number> {
    if (deviceIds.length === 0) return 0;
    return (await this.redis.eval(RELEASE_LUA, 1, ownerKey(hostId), vmId, ...deviceIds)) as number;
  }

  async owners(hostId: string): Promise<Record<string, string>> {
    return this.redis.hgetall(ownerKey(hostId));
  }

  /** owners() of many hosts in one pipelined round trip. */
  async ownersMany(hostIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const p = this.redis.pipeline();
    for (const h of hostIds) p.hgetall(ownerKey(h));
    const res = (await p.exec()) ?? [];
    const out = new Map<string, Record<string, string>>();
    for (const [i, h] of hostIds.entries()) {
      const [err, v] = res[i] ?? [null, {}];
      if (err) throw err;
      out.set(h, v as Record<string, string>);
    }
    return out;
  }

  async putVm(rec: Omit<VmRecord, 'updatedMs'>): Promise<void> {
    const fields: Record<string, string> = { vmId: rec.vmId, state: rec.state, updatedMs: String(Date.now()) };
    if (rec.hostId !== undefined) fields.hostId = rec.hostId;
    if (rec.deviceIds !== undefined) fields.deviceIds = JSON.stringify(rec.deviceIds);
    if (rec.reason !== undefined) fields.reason = rec.reason;
    if (rec.requestId !== undefined) fields.requestId = rec.requestId;
    await this.redis.hset(vmKey(rec.vmId), fields);
  }

  async getVm(vmId: string): Promise<VmRecord | undefined> {
    const h = await this.redis.hgetall(vmKey(vmId));
    if (!h.vmId) return undefined;
    return {
      vmId: h.vmId,
      state: h.state ?? 'pending',
      hostId: h.hostId,
      deviceIds: h.deviceIds ? (JSON.parse(h.deviceIds) as string[]) : undefined,
      reason: h.reason,
      requestId: h.requestId,
      updatedMs: Number(h.updatedMs ?? 0),
    };
  }
}
