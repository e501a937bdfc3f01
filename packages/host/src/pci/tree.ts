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

  /** Functions in enumeration order: depth-first by bus, then devfn (as Linux's PCI scan). */
  inProbeOrder(): PciFunction[] {
    const roots = this.functions.filter((f) => !f.parent);
    const out: PciFunction[] = [];
    const visit = (f: PciFunction) => {
      out.push(f);
      for (const c of [...f.children].sort((a, b) => a.bdf - b.bdf)) visit(c);
    };
    for (const r of roots.sort((a, b) => a.segment - b.segment || a.bdf - b.bdf)) visit(r);
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
