// SPDX-License-Identifier: Apache-2.0
// DMAR device scope (VT-d spec rev 4.1 §8.3.1; ACPICA ACPI_DMAR_DEVICE_SCOPE): appears inside
// DRHD, RMRR, ATSR, SATC and SIDP structures.

import type { ByteReader, ByteWriter } from '../bytes';
import { checkStructureLength } from '../header';

/** Device scope types (§8.3.1; ACPICA ACPI_DMAR_SCOPE_TYPE_*); 0 and above 5 are reserved. */
export const DMAR_SCOPE = {
  PCI_ENDPOINT: 1,
  /** A PCI-PCI bridge: the scope covers the whole sub-hierarchy below it. */
  PCI_BRIDGE: 2,
  IOAPIC: 3,
  HPET: 4,
  ACPI_NAMESPACE: 5,
} as const;

export const SCOPE_TYPE_NAMES: Readonly<Record<number, string>> = {
  [DMAR_SCOPE.PCI_ENDPOINT]: 'PCI endpoint',
  [DMAR_SCOPE.PCI_BRIDGE]: 'PCI sub-hierarchy',
  [DMAR_SCOPE.IOAPIC]: 'IOAPIC',
  [DMAR_SCOPE.HPET]: 'MSI-capable HPET',
  [DMAR_SCOPE.ACPI_NAMESPACE]: 'ACPI namespace device',
};

/** A scope that names PCI functions by path (endpoint or bridge), as opposed to an IOAPIC, HPET or ACPI device. */
export function isPciScope(type: number): boolean {
  return type === DMAR_SCOPE.PCI_ENDPOINT || type === DMAR_SCOPE.PCI_BRIDGE;
}

export interface DeviceScope {
  type: number; // +0
  length: number; // +1: 6 + 2 * path entries
  flags: number; // +2 (reserved before VT-d 4.x)
  reserved: number; // +3
  enumerationId: number; // +4: IOAPIC id, HPET number or ACPI device number
  startBus: number; // +5
  path: { device: number; function: number }[]; // +6: (device, function) pairs
  /** Bytes after the last whole path entry (an odd Length); kept so nothing is lost. */
  extra?: number[];
}

export function decodeScopes(r: ByteReader, start: number, end: number, structure: string): DeviceScope[] {
  const scopes: DeviceScope[] = [];
  for (let o = start; o < end; ) {
    const len = r.u8(o + 1, `${structure} device scope`);
    checkStructureLength(r, o, len, 6, end, `${structure} device scope`);
    const n = Math.floor((len - 6) / 2);
    const path = [];
    for (let i = 0; i < n; i++)
      path.push({ device: r.u8(o + 6 + 2 * i, 'path'), function: r.u8(o + 7 + 2 * i, 'path') });
    const s: DeviceScope = {
      type: r.u8(o, 'device scope'),
      length: len,
      flags: r.u8(o + 2, 'device scope'),
      reserved: r.u8(o + 3, 'device scope'),
      enumerationId: r.u8(o + 4, 'device scope'),
      startBus: r.u8(o + 5, 'device scope'),
      path,
    };
    if ((len - 6) % 2) s.extra = [r.u8(o + len - 1, 'device scope')];
    scopes.push(s);
    o += len;
  }
  return scopes;
}

export function scopeLength(s: DeviceScope): number {
  return 6 + 2 * s.path.length + (s.extra?.length ?? 0);
}

export function encodeScopes(w: ByteWriter, scopes: readonly DeviceScope[]): void {
  for (const s of scopes) {
    w.u8(s.type);
    w.u8(scopeLength(s));
    w.u8(s.flags);
    w.u8(s.reserved);
    w.u8(s.enumerationId);
    w.u8(s.startBus);
    for (const p of s.path) {
      w.u8(p.device);
      w.u8(p.function);
    }
    for (const b of s.extra ?? []) w.u8(b);
  }
}
