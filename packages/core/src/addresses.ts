// SPDX-License-Identifier: Apache-2.0
// Distinct types for distinct addresses (STYLE.md item 6), after rust-vmm vm-memory.
//
// Representation: a JS number holding an unsigned integer. Numbers are exact up to 2^53, so the
// model handles addresses below 2^53 (8 PiB). Hardware widths of 57 and 64 bits are modelled
// bit-accurately for every address below 2^53; the upper index bits of a 5-level (VT-d) or
// mode-6 (AMD-Vi) walk are then always 0. This is a documented simplification of the model.

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** I/O virtual address: what a device puts on the bus in DMA-translation mode. */
export type Iova = Brand<number, 'Iova'>;
/** Guest physical address. */
export type Gpa = Brand<number, 'Gpa'>;
/** Host physical address. */
export type Hpa = Brand<number, 'Hpa'>;
/** What an IOMMU domain maps an IOVA to: a host physical address, or a guest's (virtio-iommu). */
export type PhysAddr = Hpa | Gpa;
/** PCI requester id: bus << 8 | device << 3 | function (the VT-d "source-id", the AMD "DeviceID"). */
export type Bdf = Brand<number, 'Bdf'>;
/** Domain id as programmed into hardware (VT-d DID, AMD DomainID): 16 bits. */
export type DomainId = Brand<number, 'DomainId'>;

/** Largest address the model represents exactly (2^53 - 1). */
export const MAX_MODEL_ADDRESS = Number.MAX_SAFE_INTEGER;

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;

export function iova(n: number): Iova {
  return n as Iova;
}
export function gpa(n: number): Gpa {
  return n as Gpa;
}
export function hpa(n: number): Hpa {
  return n as Hpa;
}
export function domainId(n: number): DomainId {
  return n as DomainId;
}

export function bdf(bus: number, device: number, fn: number): Bdf {
  return (((bus & 0xff) << 8) | ((device & 0x1f) << 3) | (fn & 7)) as Bdf;
}
export function bdfBus(b: Bdf): number {
  return (b >>> 8) & 0xff;
}
export function bdfDevice(b: Bdf): number {
  return (b >>> 3) & 0x1f;
}
export function bdfFunction(b: Bdf): number {
  return b & 7;
}
/** devfn as Linux uses it: device << 3 | function. */
export function bdfDevfn(b: Bdf): number {
  return b & 0xff;
}
/** "bb:dd.f" as Linux prints it in DMAR fault lines (bus, slot hex; function decimal). */
export function formatBdf(b: Bdf): string {
  const h2 = (n: number) => n.toString(16).padStart(2, '0');
  return `${h2(bdfBus(b))}:${h2(bdfDevice(b))}.${bdfFunction(b)}`;
}
/** "ssss:bb:dd.f" (segment-qualified). */
export function formatSbdf(segment: number, b: Bdf): string {
  return `${segment.toString(16).padStart(4, '0')}:${formatBdf(b)}`;
}
const BDF_RE = /^(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])$/;
/** Parses "bb:dd.f" or "ssss:bb:dd.f"; returns undefined when malformed. */
export function parseBdf(text: string): { segment: number; bdf: Bdf } | undefined {
  const m = BDF_RE.exec(text.trim());
  if (!m) return undefined;
  const dev = Number.parseInt(m[3]!, 16);
  if (dev > 0x1f) return undefined;
  return { segment: m[1] ? Number.parseInt(m[1], 16) : 0, bdf: bdf(Number.parseInt(m[2]!, 16), dev, Number(m[4])) };
}

/** Checked add: throws on results beyond the model's exact range. */
export function addChecked<T extends number>(a: T, lengthBytes: number): T {
  const r = a + lengthBytes;
  if (!Number.isSafeInteger(r) || r < 0) throw new RangeError(`address 0x${a.toString(16)} + ${lengthBytes} overflows`);
  return r as T;
}

export function isPageAligned(n: number): boolean {
  return n % PAGE_SIZE === 0;
}
