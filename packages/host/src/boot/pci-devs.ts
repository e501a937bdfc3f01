// SPDX-License-Identifier: Apache-2.0
// The described PCI tree in the form @iofleet/core's group code reads (struct pci_dev fields:
// pcie type, bus->self, multifunction, the ACS capability and control registers, DMA aliases).

import { bdfBus, parseBdf } from '@iofleet/core';
import { PCI_ACS, type PciDev, type PciType } from '@iofleet/core/linux';
import type { PciFunction, PciKind, PciTree } from '../pci/tree';

/** `acs: true`: the isolation bits a well-behaved port has and enables. */
const ACS_ALL = PCI_ACS.SV | PCI_ACS.TB | PCI_ACS.RR | PCI_ACS.CR | PCI_ACS.UF;

const TYPE_OF: Readonly<Record<PciKind, PciType>> = {
  rootPort: 'root-port',
  switchUpstream: 'upstream',
  switchDownstream: 'downstream',
  pcieToPciBridge: 'pcie-to-pci-bridge',
  endpoint: 'endpoint',
  pciEndpoint: 'pci',
};

const bits = (names: readonly (keyof typeof PCI_ACS)[]) => names.reduce((a, n) => a | PCI_ACS[n], 0);

function acsOf(f: PciFunction): PciDev['acs'] {
  const a = f.desc.acs;
  if (a === undefined || a === false) return undefined;
  if (a === true) return { cap: ACS_ALL, ctrl: ACS_ALL };
  if (Array.isArray(a)) return { cap: bits(a), ctrl: bits(a) };
  return { cap: bits(a.cap), ctrl: bits(a.ctrl) };
}

export function toPciDevs(tree: PciTree): PciDev[] {
  const index = new Map(tree.functions.map((f, i) => [f, i]));
  const slotCount = new Map<string, number>();
  const slotKey = (f: PciFunction) => `${f.segment}:${f.bdf >>> 3}`;
  for (const f of tree.functions) if (!f.desc.virtfnOf) slotCount.set(slotKey(f), (slotCount.get(slotKey(f)) ?? 0) + 1);
  return tree.functions.map((f) => {
    let type = TYPE_OF[f.kind];
    if (type === 'endpoint' && !f.parent) type = 'rc-endpoint';
    const alias = f.desc.dmaAlias ? parseBdf(f.desc.dmaAlias) : undefined;
    return {
      segment: f.segment,
      bdf: f.bdf,
      type,
      parent: f.parent ? index.get(f.parent)! : -1,
      multifunction: f.desc.multifunction ?? (!f.desc.virtfnOf && (slotCount.get(slotKey(f)) ?? 0) > 1),
      ...(acsOf(f) && { acs: acsOf(f) }),
      ...(alias && bdfBus(alias.bdf) === bdfBus(f.bdf) && { dmaAliasDevfns: [alias.bdf & 0xff] }),
      ...(f.secondaryBus !== undefined && { secondaryBus: f.secondaryBus }),
    };
  });
}
