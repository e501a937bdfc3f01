// SPDX-License-Identifier: Apache-2.0
// Which VT-d unit (DRHD) translates which PCI function, as Linux decides it:
// dmar_find_matched_drhd_unit() walks the DRHDs in table order with the INCLUDE_PCI_ALL unit of a
// segment last (dmar_register_drhd_unit() appends include-all units at the tail); a device matches
// a DRHD when one of its device scopes names it (type 1, endpoint) or names a bridge above it
// (type 2, sub-hierarchy); otherwise it belongs to its segment's INCLUDE_PCI_ALL unit.
// A scope names a function by its path from a start bus: each (device, function) hop but the last
// is a bridge whose secondary bus is the next hop's bus (VT-d spec §8.3.1; Linux
// dmar_insert_dev_scope() / dmar_pci_bus_add_dev()).
//
// The types here are the structural minimum of a decoded DMAR; @iofleet/acpi's decoded objects fit.

import { DMAR_SCOPE, isPciScope } from '@iofleet/acpi';
import { bdf } from '@iofleet/core';
import type { PciFunction, PciTree } from '../pci/tree';

export interface ScopeLike {
  type: number;
  enumerationId: number;
  startBus: number;
  path: readonly { device: number; function: number }[];
}

export interface DrhdLike {
  flags: number;
  segment: number;
  registerBaseAddress: bigint | number;
  deviceScopes: readonly ScopeLike[];
}

export const DRHD_INCLUDE_PCI_ALL = 0x1;

/** Resolves a scope path to the function it names in `tree`, or undefined when absent. */
export function resolveScope(tree: PciTree, segment: number, scope: ScopeLike): PciFunction | undefined {
  let bus = scope.startBus;
  let f: PciFunction | undefined;
  for (const [i, hop] of scope.path.entries()) {
    f = tree.get(segment, bdf(bus, hop.device, hop.function));
    if (!f) return undefined;
    if (i < scope.path.length - 1) {
      if (f.secondaryBus === undefined) return undefined;
      bus = f.secondaryBus;
    }
  }
  return f;
}

/** The path Linux would need to find `f`: the chain of bridges from the root bus (for building DMARs). */
export function scopeFor(
  f: PciFunction,
  type = f.children.length > 0 ? DMAR_SCOPE.PCI_BRIDGE : DMAR_SCOPE.PCI_ENDPOINT,
): ScopeLike {
  const chain: PciFunction[] = [];
  for (let p: PciFunction | undefined = f; p; p = p.parent) chain.unshift(p);
  return {
    type,
    enumerationId: 0,
    startBus: (chain[0]!.bdf >>> 8) & 0xff,
    path: chain.map((c) => ({ device: (c.bdf >>> 3) & 0x1f, function: c.bdf & 7 })),
  };
}

function scopeCovers(tree: PciTree, d: DrhdLike, f: PciFunction): boolean {
  for (const s of d.deviceScopes) {
    if (!isPciScope(s.type)) continue;
    const target = resolveScope(tree, d.segment, s);
    if (!target) continue;
    if (target === f) return true;
    if (s.type === DMAR_SCOPE.PCI_BRIDGE && tree.isBelow(f, target)) return true;
  }
  return false;
}

/**
 * Index (into `drhds`) of the unit that translates `f`, or -1 when none does (the device is then
 * not behind any IOMMU: Linux leaves it without a group).
 */
export function matchDrhd(tree: PciTree, drhds: readonly DrhdLike[], f: PciFunction): number {
  let includeAll = -1;
  for (const [i, d] of drhds.entries()) {
    if (d.segment !== f.segment) continue;
    if (d.flags & DRHD_INCLUDE_PCI_ALL) {
      if (includeAll < 0) includeAll = i;
      continue;
    }
    if (scopeCovers(tree, d, f)) return i;
  }
  return includeAll;
}
