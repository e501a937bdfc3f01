// SPDX-License-Identifier: Apache-2.0
// The PCI tree of a described host: functions with their parents, secondary and subordinate bus
// numbers (derived from where the children sit, as firmware enumeration would have assigned them),
// checked for consistency. Bus numbers of a segment are 8-bit; BDFs are requester ids.

import { type Bdf, bdfBus, formatBdf, parseBdf } from '@iofleet/core';
import type { PciNodeDescription } from '../description/schema';
import { HostError } from '../errors';

export type PciKind = PciNodeDescription['kind'];

export interface PciFunction {
  bdf: Bdf;
  segment: number;
  text: string;
  kind: PciKind;
  parent?: PciFunction;
  children: PciFunction[];
  /** For bridges and ports: the bus their children sit on, and the highest bus below them. */
  secondaryBus?: number;
  subordinateBus?: number;
  desc: PciNodeDescription;
}

const BRIDGE_KINDS: ReadonlySet<PciKind> = new Set([
  'rootPort',
  'switchUpstream',
  'switchDownstream',
  'pcieToPciBridge',
]);

export function isBridge(f: PciFunction): boolean {
  return BRIDGE_KINDS.has(f.kind);
}

export class PciTree {
  readonly functions: PciFunction[] = [];
  private readonly byKey = new Map<string, PciFunction>();

  static key(segment: number, b: Bdf): string {
    return `${segment}:${b}`;
  }

  add(f: PciFunction): void {
    this.functions.push(f);
    this.byKey.set(PciTree.key(f.segment, f.bdf), f);
  }

  get(segment: number, b: Bdf): PciFunction | undefined {
    return this.byKey.get(PciTree.key(segment, b));
  }

  /**
   * Functions in the order Linux adds them to the driver core, which is the order IOMMU probing
   * sees them and so the order group numbers are handed out: pci_bus_add_devices() adds every
   * function of a bus (by devfn), then recurses into each bridge's secondary bus in turn; root
   * buses in segment and bus order.
   */
  inProbeOrder(): PciFunction[] {
    const out: PciFunction[] = [];
    const addBus = (fns: PciFunction[]) => {
      const sorted = [...fns].sort((a, b) => a.bdf - b.bdf);
      out.push(...sorted);
      for (const f of sorted) if (f.children.length) addBus(f.children);
    };
    const roots = this.functions.filter((f) => !f.parent);
    const byRootBus = new Map<string, PciFunction[]>();
    for (const r of roots) {
      const k = `${r.segment}:${bdfBus(r.bdf)}`;
      byRootBus.set(k, [...(byRootBus.get(k) ?? []), r]);
    }
    const keys = [...byRootBus.keys()].sort((a, b) => {
      const [sa, ba] = a.split(':').map(Number);
      const [sb, bb] = b.split(':').map(Number);
      return sa! - sb! || ba! - bb!;
    });
    for (const k of keys) addBus(byRootBus.get(k)!);
    return out;
  }

  /** True when `f` sits below `bridge` (bus range check, as a bridge device scope covers). */
  isBelow(f: PciFunction, bridge: PciFunction): boolean {
    for (let p = f.parent; p; p = p.parent) if (p === bridge) return true;
    return false;
  }
}

function fail(file: string, msg: string): never {
  throw new HostError('TOPOLOGY_INVALID', `${file}: ${msg}`);
}

/** First VF routing-id offset and stride used for described PFs (the SR-IOV capability's values). */
export const VF_OFFSET = 0x10;
export const VF_STRIDE = 1;

/**
 * The nodes with each SR-IOV physical function's virtual functions added after it: VF n has
 * routing id PF + VF_OFFSET + n * VF_STRIDE (PCIe SR-IOV §9.3.3.10), on the PF's bus, the PF's
 * parent, no ACS capability and, as Linux sets in pci_iov_add_virtfn(), not multifunction.
 */
export function withVirtualFunctions(nodes: readonly PciNodeDescription[]): PciNodeDescription[] {
  const out: PciNodeDescription[] = [];
  for (const d of nodes) {
    out.push(d);
    if (!d.sriovVfs) continue;
    const p = parseBdf(d.bdf)!;
    for (let n = 0; n < d.sriovVfs; n++) {
      const rid = (p.bdf + VF_OFFSET + n * VF_STRIDE) as Bdf;
      if (bdfBus(rid) !== bdfBus(p.bdf)) break; // VFs past the PF's bus would need another bus number
      const seg = p.segment ? `${p.segment.toString(16).padStart(4, '0')}:` : '';
      out.push({
        bdf: `${seg}${formatBdf(rid)}`,
        kind: d.kind,
        ...(d.parent && { parent: d.parent }),
        ...(d.numaNode !== undefined && { numaNode: d.numaNode }),
        ...(d.vendor && { vendor: d.vendor }),
        ...(d.class && { class: d.class }),
        ...(d.plugin && { plugin: d.plugin }),
        ...(d.options && { options: d.options }),
        virtfnOf: d.bdf,
        multifunction: false,
      });
    }
  }
  return out;
}

export function buildPciTree(nodes: readonly PciNodeDescription[], file = 'host'): PciTree {
  const tree = new PciTree();
  for (const [i, d] of nodes.entries()) {
    const p = parseBdf(d.bdf)!;
    if (tree.get(p.segment, p.bdf)) fail(file, `pci[${i}]: duplicate PCI address ${d.bdf}`);
    const f: PciFunction = {
      bdf: p.bdf,
      segment: p.segment,
      text: formatBdf(p.bdf),
      kind: d.kind,
      children: [],
      desc: d,
    };
    tree.add(f);
  }
  for (const [i, f] of tree.functions.entries()) {
    const parentText = f.desc.parent;
    if (!parentText) continue;
    const pp = parseBdf(parentText)!;
    const parent = tree.get(pp.segment, pp.bdf);
    if (!parent) fail(file, `pci[${i}] (${f.desc.bdf}): parent ${parentText} is not in the PCI list`);
    if (!isBridge(parent))
      fail(file, `pci[${i}] (${f.desc.bdf}): parent ${parentText} is a ${parent.kind}, not a bridge or port`);
    if (parent.segment !== f.segment)
      fail(file, `pci[${i}] (${f.desc.bdf}): parent ${parentText} is in another PCI segment`);
    f.parent = parent;
    parent.children.push(f);
  }
  for (const f of tree.functions) {
    if (!isBridge(f) || f.children.length === 0) continue;
    const buses = new Set(f.children.map((c) => bdfBus(c.bdf)));
    if (buses.size > 1)
      fail(file, `children of ${f.desc.bdf} sit on ${buses.size} different buses; a bridge has one secondary bus`);
    f.secondaryBus = [...buses][0]!;
    if (f.secondaryBus <= bdfBus(f.bdf))
      fail(file, `${f.desc.bdf}: its secondary bus ${f.secondaryBus} is not above its own bus`);
  }
  const subordinate = (f: PciFunction): number => {
    let max = f.secondaryBus ?? bdfBus(f.bdf);
    for (const c of f.children) max = Math.max(max, subordinate(c));
    if (isBridge(f)) f.subordinateBus = max;
    return max;
  };
  for (const f of tree.functions) if (!f.parent) subordinate(f);
  return tree;
}
