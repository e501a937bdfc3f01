// SPDX-License-Identifier: Apache-2.0
// The AMD-Vi command buffer (spec §2.4; facts sheet §2.4): 16-byte commands, opcode in bits 63:60
// of the first quadword, in a ring in memory (Linux: 8 KiB = 512 entries). Encoders follow Linux's
// build_completion_wait(), build_inv_dte(), build_inv_iommu_pages() (with build_inv_address()),
// build_inv_iotlb_pages() and build_inv_all().

import { getField, getNumber, pack } from '../bits/bitfield';
import type { PhysMemory } from '../memory/phys-memory';
import { CMD, CMD_COMPLETION_WAIT, CMD_INV_DTE, CMD_INV_IOTLB, CMD_INV_PAGES } from './fields';

export const CMD_COMPL_WAIT = 0x01;
export const CMD_INV_DEV_ENTRY = 0x02;
export const CMD_INV_IOMMU_PAGES = 0x03;
export const CMD_INV_IOTLB_PAGES = 0x04;
export const CMD_INV_IRT = 0x05;
export const CMD_INV_IOMMU_ALL = 0x08;

/** "Flush everything for this domain": S=1 with this address (CMD_INV_IOMMU_ALL_PAGES_ADDRESS). */
export const CMD_INV_IOMMU_ALL_PAGES_ADDRESS = 0x7fff_ffff_ffff_f000n;

export function opcode(cmd: bigint): number {
  return getNumber(cmd, CMD, 'OPCODE');
}

/** build_inv_address(): page-aligned address with S=1 and low bits set to encode a range. */
export function invAddress(address: number, size: number): { addr: bigint; s: boolean } {
  const pages = Math.ceil(((address % 4096) + size) / 4096); // iommu_num_pages()
  if (pages === 1) return { addr: BigInt(address) & ~0xfffn, s: false };
  const start = BigInt(address);
  const diff = start ^ BigInt(address + size - 1);
  let msb = 0n; // fls64(end ^ address) - 1
  while (diff >> (msb + 1n) !== 0n) msb++;
  if (msb > 51n) return { addr: CMD_INV_IOMMU_ALL_PAGES_ADDRESS, s: true };
  return { addr: (start | ((1n << msb) - 1n)) & ~0xfffn, s: true };
}

export function invIommuPages(domainId: number, address: number, size: number, pde = true): bigint {
  const { addr, s } = invAddress(address, size);
  return pack(CMD_INV_PAGES, {
    DOMID: domainId,
    OPCODE: CMD_INV_IOMMU_PAGES,
    S: s ? 1 : 0,
    PDE: pde ? 1 : 0,
    ADDR: addr >> 12n,
  });
}
export function invIommuAllPages(domainId: number): bigint {
  return pack(CMD_INV_PAGES, {
    DOMID: domainId,
    OPCODE: CMD_INV_IOMMU_PAGES,
    S: 1,
    PDE: 1,
    ADDR: CMD_INV_IOMMU_ALL_PAGES_ADDRESS >> 12n,
  });
}
export function invIotlbPages(deviceId: number, qdep: number, address: number, size: number): bigint {
  const { addr, s } = invAddress(address, size);
  return pack(CMD_INV_IOTLB, {
    DEVID: deviceId,
    QDEP: qdep,
    QUEUEID: deviceId,
    OPCODE: CMD_INV_IOTLB_PAGES,
    S: s ? 1 : 0,
    ADDR: addr >> 12n,
  });
}
export function invDevEntry(deviceId: number): bigint {
  return pack(CMD_INV_DTE, { DEVID: deviceId, OPCODE: CMD_INV_DEV_ENTRY });
}
export function completionWait(semaphorePa: number, data: bigint): bigint {
  return pack(
    CMD_COMPLETION_WAIT,
    {
      S: 1,
      OPCODE: CMD_COMPL_WAIT,
      DATA: data,
    },
    { ADDR_LO: semaphorePa, ADDR_HI: semaphorePa },
  );
}
export function invIommuAll(): bigint {
  return pack(CMD, { OPCODE: CMD_INV_IOMMU_ALL });
}

/** Decodes an INVALIDATE_IOMMU_PAGES range: [start, start + 2^sizeLg2). */
export function decodeInvRange(cmd: bigint): { domainId: number; start: number; sizeLg2: number; pde: boolean } {
  const domainId = getNumber(cmd, CMD_INV_PAGES, 'DOMID');
  const addr = getField(cmd, CMD_INV_PAGES, 'ADDR') << 12n;
  const pde = getField(cmd, CMD_INV_PAGES, 'PDE') === 1n;
  if (getField(cmd, CMD_INV_PAGES, 'S') === 0n) return { domainId, start: Number(addr), sizeLg2: 12, pde };
  // The lowest zero bit at or above bit 12 marks the size (spec §2.4.3).
  let bit = 12n;
  while (bit < 64n && ((addr >> bit) & 1n) === 1n) bit++;
  const sizeLg2 = Number(bit) + 1;
  if (sizeLg2 >= 52) return { domainId, start: 0, sizeLg2: 53, pde };
  const start = Number((addr >> BigInt(sizeLg2)) << BigInt(sizeLg2));
  return { domainId, start, sizeLg2, pde };
}

/** Command-buffer entries (Linux: 8 KiB of 16-byte commands). */
export const CMD_BUFFER_ENTRIES = 512;

/**
 * The command buffer's ring in memory and its head/tail (MMIO 0x2000/0x2008, as entry indexes):
 * software writes commands at the tail (copy_cmd_to_buffer()), the unit consumes them from the
 * head and hands each to `execute`.
 */
export class CommandBuffer {
  readonly base: number;
  private head = 0;
  private tail = 0;

  constructor(
    private readonly mem: PhysMemory,
    private readonly execute: (cmd: bigint) => void,
  ) {
    this.base = mem.allocTablePages(1); // 8 KiB
  }

  /** Writes `cmds` at the tail and lets the unit run them all. */
  run(cmds: readonly bigint[]): void {
    for (const c of cmds) {
      this.mem.writeWide(this.base + this.tail * 16, 16, c);
      this.tail = (this.tail + 1) % CMD_BUFFER_ENTRIES;
    }
    while (this.head !== this.tail) {
      this.execute(this.mem.readWide(this.base + this.head * 16, 16));
      this.head = (this.head + 1) % CMD_BUFFER_ENTRIES;
    }
  }
}
