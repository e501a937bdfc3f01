// SPDX-License-Identifier: Apache-2.0
// Typed per-host state and block summaries that let the policy's candidate scan pass over a run of
// hosts that cannot take a VM without evaluating them one by one, while examining, counting and
// rejecting exactly the hosts the plain scan would (issue #19: same decisions, fewer cycles).
//
// The scan order, the candidate limit and every rejection stay as they were: a skipped block's
// hosts are still counted as examined and rejected with the reason evaluateHost would give them.
// A block is skipped only when that reason is certain from its summary (see BlockScan.skip).

import type { PlacementHost } from './model';

/** Hosts per block. */
export const BLOCK = 64;

function grown<T extends Float64Array | Int32Array | Uint8Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/**
 * vCPUs and memory per (host, NUMA node) slot, in the host's node order, as typed arrays: what
 * HostUsage's maps hold, readable without a map lookup. Kept equal to them by FleetState.
 */
export class CapacityTable {
  hosts = 0;
  private slots = 0;
  slotStart = new Int32Array(256);
  slotCount = new Int32Array(256);
  down = new Uint8Array(256);
  modeOff = new Uint8Array(256);
  /** Per host: bumped on every change of its usage, devices held or state (FleetState.touch). */
  version = new Float64Array(256);
  nodeId = new Float64Array(512);
  capCpu = new Float64Array(512);
  capMem = new Float64Array(512);
  usedCpu = new Float64Array(512);
  usedMem = new Float64Array(512);
  /**
   * Every capacity and amount ever added is a safe integer, so `used + n > cap` is exactly
   * `cap - used < n` and a block summary of free amounts decides as the plain check does.
   */
  integral = true;

  addHost(host: PlacementHost): void {
    const h = this.hosts++;
    const n = host.numaNodes.length;
    this.slotStart = grown(this.slotStart, this.hosts);
    this.slotCount = grown(this.slotCount, this.hosts);
    this.down = grown(this.down, this.hosts);
    this.modeOff = grown(this.modeOff, this.hosts);
    this.version = grown(this.version, this.hosts);
    const need = this.slots + n;
    this.nodeId = grown(this.nodeId, need);
    this.capCpu = grown(this.capCpu, need);
    this.capMem = grown(this.capMem, need);
    this.usedCpu = grown(this.usedCpu, need);
    this.usedMem = grown(this.usedMem, need);
    this.slotStart[h] = this.slots;
    this.slotCount[h] = n;
    this.modeOff[h] = host.iommuMode === 'off' ? 1 : 0;
    for (const node of host.numaNodes) {
      const s = this.slots++;
      this.nodeId[s] = node.id;
      this.capCpu[s] = node.cpus;
      this.capMem[s] = node.memoryMiB;
      if (!Number.isSafeInteger(node.cpus) || !Number.isSafeInteger(node.memoryMiB)) this.integral = false;
    }
  }

  /** Adds (or with a negative sign removes) a VM's vCPUs and memory on node `nodeId` of host `h`. */
  add(h: number, nodeId: number, cpus: number, memoryMiB: number): void {
    if (!Number.isSafeInteger(cpus) || !Number.isSafeInteger(memoryMiB)) this.integral = false;
    const end = this.slotStart[h]! + this.slotCount[h]!;
    for (let s = this.slotStart[h]!; s < end; s++) {
      if (this.nodeId[s] !== nodeId) continue;
      this.usedCpu[s] = this.usedCpu[s]! + cpus;
      this.usedMem[s] = this.usedMem[s]! + memoryMiB;
      return;
    }
    // A node id the host does not have: the maps record it, no capacity check reads it.
  }

  /**
   * evaluateHost's capacity verdict when no node fits: the first node's reason ('cpu' before
   * 'memory'); undefined when some node fits (or the host has no node: evaluateHost decides).
   */
  misfit(h: number, vcpus: number, memoryMiB: number): 'cpu' | 'memory' | undefined {
    const start = this.slotStart[h]!;
    const end = start + this.slotCount[h]!;
    if (end === start) return undefined;
    for (let s = start; s < end; s++)
      if (this.usedCpu[s]! + vcpus <= this.capCpu[s]! && this.usedMem[s]! + memoryMiB <= this.capMem[s]!)
        return undefined;
    return this.usedCpu[start]! + vcpus > this.capCpu[start]! ? 'cpu' : 'memory';
  }
}

/**
 * Summaries of blocks of BLOCK consecutive positions of a scan sequence (the hosts in index order,
 * or a device class's candidate list): the largest free vCPUs and free memory of any node, the
 * least and largest free vCPUs of the first node, and whether a host needs a look of its own
 * (`special`: down, no NUMA node, or what the sequence's owner says). Recomputed lazily.
 */
export class BlockScan {
  private maxCpu = new Float64Array(16);
  private maxMem = new Float64Array(16);
  private min0 = new Float64Array(16);
  private max0 = new Float64Array(16);
  private special = new Uint8Array(16);
  private dirty = new Uint8Array(16).fill(1);

  constructor(
    private readonly t: CapacityTable,
    /** Host at a position of the sequence. */
    private readonly at: (pos: number) => number,
    private readonly length: () => number,
    private readonly isSpecial: (h: number) => boolean,
  ) {}

  /** The summary of the block holding `pos` no longer holds. */
  touch(pos: number): void {
    const b = (pos / BLOCK) | 0;
    if (b >= this.dirty.length) this.grow(b + 1);
    this.dirty[b] = 1;
  }

  private grow(blocks: number): void {
    const old = this.dirty.length;
    this.maxCpu = grown(this.maxCpu, blocks);
    this.maxMem = grown(this.maxMem, blocks);
    this.min0 = grown(this.min0, blocks);
    this.max0 = grown(this.max0, blocks);
    this.special = grown(this.special, blocks);
    this.dirty = grown(this.dirty, blocks);
    this.dirty.fill(1, old);
  }

  private summarise(b: number): void {
    const t = this.t;
    const from = b * BLOCK;
    const to = Math.min(from + BLOCK, this.length());
    let maxCpu = Number.NEGATIVE_INFINITY;
    let maxMem = Number.NEGATIVE_INFINITY;
    let min0 = Number.POSITIVE_INFINITY;
    let max0 = Number.NEGATIVE_INFINITY;
    let special = 0;
    for (let p = from; p < to; p++) {
      const h = this.at(p);
      const start = t.slotStart[h]!;
      const end = start + t.slotCount[h]!;
      if (end === start || t.down[h] || this.isSpecial(h)) special = 1;
      for (let s = start; s < end; s++) {
        const c = t.capCpu[s]! - t.usedCpu[s]!;
        const m = t.capMem[s]! - t.usedMem[s]!;
        if (c > maxCpu) maxCpu = c;
        if (m > maxMem) maxMem = m;
        if (s === start) {
          if (c < min0) min0 = c;
          if (c > max0) max0 = c;
        }
      }
    }
    this.maxCpu[b] = maxCpu;
    this.maxMem[b] = maxMem;
    this.min0[b] = min0;
    this.max0[b] = max0;
    this.special[b] = special;
    this.dirty[b] = 0;
  }

  /**
   * When the block starting at `pos` (a multiple of BLOCK) surely rejects a VM of `vcpus` and
   * `memoryMiB` on capacity at every host — no host special, and no node of any host with room
   * for the vCPUs, or none with room for the memory — adds each host's reason (its first node's:
   * 'cpu' when the vCPUs do not fit there, else 'memory') to `rejections` in scan order and
   * returns the block's length; otherwise 0. The caller checks the VM has no anti-affinity group
   * and no accepted-mode list, and that the table is integral.
   */
  skip(pos: number, vcpus: number, memoryMiB: number, rejections: Partial<Record<string, number>>): number {
    const b = pos / BLOCK;
    if (b >= this.dirty.length) this.grow(b + 1);
    if (this.dirty[b]) this.summarise(b);
    if (this.special[b]) return 0;
    if (!(this.maxCpu[b]! < vcpus || this.maxMem[b]! < memoryMiB)) return 0;
    const len = Math.min(BLOCK, this.length() - pos);
    if (this.max0[b]! < vcpus) rejections.cpu = (rejections.cpu ?? 0) + len;
    else if (this.min0[b]! >= vcpus) rejections.memory = (rejections.memory ?? 0) + len;
    else {
      const t = this.t;
      for (let p = pos; p < pos + len; p++) {
        const s = t.slotStart[this.at(p)]!;
        const r = t.capCpu[s]! - t.usedCpu[s]! < vcpus ? 'cpu' : 'memory';
        rejections[r] = (rejections[r] ?? 0) + 1;
      }
    }
    return len;
  }
}
