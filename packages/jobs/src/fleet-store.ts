// SPDX-License-Identifier: Apache-2.0
// Device ownership and VM records in Redis, shared by every scheduler process. Reservation is
// one Lua script (atomic on the Redis server), so however many schedulers race, a device has at
// most one owner: the loser gets the conflicting device back and re-places with fresh state.

import type { Redis } from 'ioredis';

/**
 * Every key, queue and channel of one iofleet system lives under a namespace, so several systems
 * (or runs: `simulate --distributed` takes one per run and variant) share a Redis without seeing
 * each other's records, and a run's leftovers can be found and deleted by prefix.
 */
export const DEFAULT_NAMESPACE = 'iofleet';
/** Namespaces are Redis key prefixes: letters, digits and . _ - : only. */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const ownerKey = (hostId: string, ns = DEFAULT_NAMESPACE) => `${ns}:owner:${hostId}`;
export const vmKey = (vmId: string, ns = DEFAULT_NAMESPACE) => `${ns}:vm:${vmId}`;
/** The pub/sub channel that carries the id of every VM whose record changed. */
export const vmEventsChannel = (ns = DEFAULT_NAMESPACE) => `${ns}:vm-events`;
/** BullMQ's key prefix for the namespace's queues (BullMQ's own default is 'bull'). */
export const bullPrefix = (ns = DEFAULT_NAMESPACE) => `${ns}:bull`;

/** Deletes every key of a namespace (SCAN, not KEYS: never blocks the server); returns how many. */
export async function deleteNamespace(redis: Redis, ns: string): Promise<number> {
  if (!NAMESPACE_PATTERN.test(ns)) throw new RangeError(`invalid namespace '${ns}'`);
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) n += await redis.unlink(...keys);
  } while (cursor !== '0');
  return n;
}

// The scripts' building blocks, Lua functions each script that needs them starts with: the
// check-then-claim of a reservation, the release, and the VM's record, written once.

/**
 * claim(h, vm, first, last): owner hash `h` gives `vm` the devices ARGV[first..last]. Returns {1}
 * when every device is now the VM's (idempotent for its own devices), or {0, device, owner} naming
 * the first device another VM holds (nothing written).
 */
const CLAIM_FN = `
local function claim(h, vm, first, last)
  for i = first, last do
    local owner = redis.call('HGET', h, ARGV[i])
    if owner and owner ~= vm then return {0, ARGV[i], owner} end
  end
  for i = first, last do redis.call('HSET', h, ARGV[i], vm) end
  return {1}
end
`;

/** release(h, vm, first, last): frees only the devices of ARGV[first..last] `vm` owns; returns how many. */
const RELEASE_FN = `
local function release(h, vm, first, last)
  local n = 0
  for i = first, last do
    if redis.call('HGET', h, ARGV[i]) == vm then redis.call('HDEL', h, ARGV[i]); n = n + 1 end
  end
  return n
end
`;

/** record(key, vm, now, state, host, devs, req): the VM's record names its host and devices. */
const RECORD_FN = `
local function record(key, vm, now, state, host, devs, req)
  redis.call('HSET', key, 'vmId', vm, 'updatedMs', now, 'state', state, 'hostId', host,
    'deviceIds', devs, 'requestId', req)
end
`;

/** KEYS[1] owner hash of the host; ARGV[1] vm id; ARGV[2..] device ids. claim()'s answer. */
const RESERVE_LUA = `${CLAIM_FN}
return claim(KEYS[1], ARGV[1], 2, #ARGV)
`;

/** KEYS[1] owner hash; ARGV[1] vm id; ARGV[2..] devices. Frees only devices the VM owns; returns how many. */
const RELEASE_LUA = `${RELEASE_FN}
return release(KEYS[1], ARGV[1], 2, #ARGV)
`;

/**
 * The reservation and the VM's record in one step: KEYS[1] owner hash of the host, KEYS[2] the
 * VM's record; ARGV[1] vm id, ARGV[2] now (ms), ARGV[3] state, ARGV[4] host id, ARGV[5] device
 * ids (JSON), ARGV[6] request id, ARGV[7..] device ids. As RESERVE_LUA, and on success the
 * record names the host and devices: no crash can leave one without the other.
 */
const RESERVE_RECORD_LUA = `${CLAIM_FN}${RECORD_FN}
local r = claim(KEYS[1], ARGV[1], 7, #ARGV)
if r[1] == 1 then record(KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]) end
return r
`;

/**
 * A batch of reservations with their records, and releases, in order, in one script (one round
 * trip for a batch of VMs): KEYS are, per item, the host's owner hash and the VM's record; ARGV[1]
 * is now (ms), then per item: vm id, kind ('reserve' or 'release'), state, host id, device ids
 * (JSON), request id, device count, the device ids. A reservation is RESERVE_RECORD_LUA, seeing the
 * items before it; one whose record already names a host (another worker placed this VM: a
 * request queued twice) is left alone and answered {2}. A release is RELEASE_LUA (the record is
 * the caller's to update). Returns, per item, {1}, {2} or {0, device, owner}.
 */
const RESERVE_MANY_LUA = `${CLAIM_FN}${RELEASE_FN}${RECORD_FN}
local out = {}
local a = 2
for k = 1, #KEYS, 2 do
  local vm, kind, state, host, devs, req = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
  local first = a + 7
  local last = first + tonumber(ARGV[a + 6]) - 1
  a = last + 1
  local r = {1}
  if kind == 'release' then
    release(KEYS[k], vm, first, last)
  elseif redis.call('HGET', KEYS[k + 1], 'hostId') then
    r = {2}
  else
    r = claim(KEYS[k], vm, first, last)
    if r[1] == 1 then record(KEYS[k + 1], vm, ARGV[1], state, host, devs, req) end
  end
  out[#out + 1] = r
end
return out
`;

export type ReserveResult = { ok: true } | { ok: false; device: string; owner: string };
/** A reserveMany() item's answer: reserved, conflicting, or the VM was placed already (`placedAlready`). */
export type ReserveManyResult = ReserveResult | { ok: false; placedAlready: true };

/** A reservation (with the VM's record, as `state`), or with `release` a release of the VM's devices. */
export interface ReserveItem {
  hostId: string;
  vmId: string;
  deviceIds: readonly string[];
  state: string;
  requestId: string;
  release?: boolean;
}

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
  constructor(
    private readonly redis: Redis,
    readonly namespace = DEFAULT_NAMESPACE,
  ) {
    if (!NAMESPACE_PATTERN.test(namespace)) throw new RangeError(`invalid namespace '${namespace}'`);
  }

  async reserve(hostId: string, vmId: string, deviceIds: readonly string[]): Promise<ReserveResult> {
    const r = (await this.redis.eval(RESERVE_LUA, 1, ownerKey(hostId, this.namespace), vmId, ...deviceIds)) as [
      number,
      string?,
      string?,
    ];
    return r[0] === 1 ? { ok: true } : { ok: false, device: r[1]!, owner: r[2]! };
  }

  /** reserve() and putVm() of the VM as `state` on that host, atomically (one round trip). */
  async reserveAndRecord(
    hostId: string,
    vmId: string,
    deviceIds: readonly string[],
    state: string,
    requestId: string,
  ): Promise<ReserveResult> {
    const r = (await this.redis.eval(
      RESERVE_RECORD_LUA,
      2,
      ownerKey(hostId, this.namespace),
      vmKey(vmId, this.namespace),
      vmId,
      String(Date.now()),
      state,
      hostId,
      JSON.stringify(deviceIds),
      requestId,
      ...deviceIds,
    )) as [number, string?, string?];
    return r[0] === 1 ? { ok: true } : { ok: false, device: r[1]!, owner: r[2]! };
  }

  /**
   * reserveAndRecord() (or, items with `release`, release()) of many VMs in order, atomically, in one
   * round trip; a VM whose record names a host already is not reserved again (`placedAlready`).
   */
  async reserveMany(items: readonly ReserveItem[]): Promise<ReserveManyResult[]> {
    if (items.length === 0) return [];
    const keys: string[] = [];
    const args: string[] = [String(Date.now())];
    for (const it of items) {
      keys.push(ownerKey(it.hostId, this.namespace), vmKey(it.vmId, this.namespace));
      const kind = it.release ? 'release' : 'reserve';
      args.push(it.vmId, kind, it.state, it.hostId, JSON.stringify(it.deviceIds), it.requestId);
      args.push(String(it.deviceIds.length));
      args.push(...it.deviceIds);
    }
    const r = (await this.redis.eval(RESERVE_MANY_LUA, keys.length, ...keys, ...args)) as [number, string?, string?][];
    return r.map((x) =>
      x[0] === 1
        ? { ok: true }
        : x[0] === 2
          ? { ok: false, placedAlready: true }
          : { ok: false, device: x[1]!, owner: x[2]! },
    );
  }

  async release(hostId: string, vmId: string, deviceIds: readonly string[]): Promise<number> {
    if (deviceIds.length === 0) return 0;
    return (await this.redis.eval(RELEASE_LUA, 1, ownerKey(hostId, this.namespace), vmId, ...deviceIds)) as number;
  }

  async owners(hostId: string): Promise<Record<string, string>> {
    return this.redis.hgetall(ownerKey(hostId, this.namespace));
  }

  /** owners() of many hosts in one pipelined round trip. */
  async ownersMany(hostIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const p = this.redis.pipeline();
    for (const h of hostIds) p.hgetall(ownerKey(h, this.namespace));
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
    await this.redis.hset(vmKey(rec.vmId, this.namespace), fields);
  }

  /** Forgets the host and devices a VM record names (it is to be placed again). */
  async clearPlacement(vmId: string): Promise<void> {
    await this.redis.hdel(vmKey(vmId, this.namespace), 'hostId', 'deviceIds');
  }

  async getVm(vmId: string): Promise<VmRecord | undefined> {
    return recordOf(await this.redis.hgetall(vmKey(vmId, this.namespace)));
  }

  /** getVm() of many VMs in one pipelined round trip, in order. */
  async getVms(vmIds: readonly string[]): Promise<(VmRecord | undefined)[]> {
    const p = this.redis.pipeline();
    for (const id of vmIds) p.hgetall(vmKey(id, this.namespace));
    const res = (await p.exec()) ?? [];
    return vmIds.map((_, i) => {
      const [err, v] = res[i] ?? [null, {}];
      if (err) throw err;
      return recordOf(v as Record<string, string>);
    });
  }
}

/** A VM record from its hash (undefined when the hash is empty). */
function recordOf(h: Record<string, string>): VmRecord | undefined {
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
