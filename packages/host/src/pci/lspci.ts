// SPDX-License-Identifier: Apache-2.0
// Reads the PCI functions of a real machine from `lspci -vvnn` text (or `lspci -vvnnD`): per
// function its address, class, vendor:device ids, the bridge bus numbers ("Bus: primary=..,
// secondary=.., subordinate=.."), the PCI Express port type ("Express (v2) Root Port") and the ACS
// capability and control bits ("ACSCap:" / "ACSCtl:"). Everything else lspci prints is ignored.
// The result is a `pci:` list of a host description, so the same tree builder checks it.
//
// Simplifications: the multifunction bit is inferred from sibling functions (lspci -vv does not
// print the header-type bit), and conventional PCI bridges (class 0604 without a PCIe capability)
// are modelled as PCIe-to-PCI bridges, which is what Linux's group code cares about.

import type { PciNodeDescription } from '../description/schema';
import { HostError } from '../errors';

/** Bound on the functions read from one listing (8-bit bus x 32 devices x 8 functions x segments). */
export const MAX_LSPCI_FUNCTIONS = 65536;

const HEADER_RE =
  /^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([01][0-9a-fA-F])\.([0-7]) .*?\[([0-9a-fA-F]{4})\]: .*\[([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\]/;
const BUS_RE = /Bus: primary=([0-9a-fA-F]{2}), secondary=([0-9a-fA-F]{2}), subordinate=([0-9a-fA-F]{2})/;
const EXPRESS_RE =
  /Express \(v\d\) (Root Port|Upstream Port|Downstream Port|Endpoint|Legacy Endpoint|Root Complex Integrated Endpoint|PCI-Express to PCI\/PCI-X Bridge|PCI\/PCI-X to PCI-Express Bridge)/;
const ACS_NAMES: Readonly<Record<string, string>> = {
  SrcValid: 'SV',
  TransBlk: 'TB',
  ReqRedir: 'RR',
  CmpltRedir: 'CR',
  UpstreamFwd: 'UF',
  EgressCtrl: 'EC',
  DirectTrans: 'DT',
};

type AcsBit = 'SV' | 'TB' | 'RR' | 'CR' | 'UF' | 'EC' | 'DT';

interface Raw {
  line: number;
  segment: string;
  bus: number;
  text: string;
  classCode: number;
  vendor: string;
  device: string;
  secondary?: number;
  express?: string;
  acsCap?: AcsBit[];
  acsCtl?: AcsBit[];
}

function acsBits(rest: string): AcsBit[] {
  const out: AcsBit[] = [];
  for (const m of rest.matchAll(/([A-Za-z]+)([+-])/g))
    if (m[2] === '+' && ACS_NAMES[m[1]!]) out.push(ACS_NAMES[m[1]!] as AcsBit);
  return out;
}

function parseRaw(text: string, file: string): Raw[] {
  const out: Raw[] = [];
  let cur: Raw | undefined;
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    if (!/^\s/.test(line)) {
      const m = HEADER_RE.exec(line);
      if (!m)
        throw new HostError(
          'DESCRIPTION_INVALID',
          `${file}:${i + 1}: not an lspci -vvnn device line: ${line.slice(0, 80)}`,
        );
      if (out.length >= MAX_LSPCI_FUNCTIONS)
        throw new HostError('DESCRIPTION_INVALID', `${file}: more than ${MAX_LSPCI_FUNCTIONS} functions`);
      cur = {
        line: i + 1,
        segment: m[1] ?? '0000',
        bus: Number.parseInt(m[2]!, 16),
        text: `${m[1] ? `${m[1]}:` : ''}${m[2]}:${m[3]}.${m[4]}`.toLowerCase(),
        classCode: Number.parseInt(m[5]!, 16),
        vendor: m[6]!.toLowerCase(),
        device: m[7]!.toLowerCase(),
      };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    const bus = BUS_RE.exec(line);
    if (bus) cur.secondary = Number.parseInt(bus[2]!, 16);
    const ex = EXPRESS_RE.exec(line);
    if (ex) cur.express = ex[1];
    const cap = /ACSCap:\s*(.*)$/.exec(line);
    if (cap) cur.acsCap = acsBits(cap[1]!);
    const ctl = /ACSCtl:\s*(.*)$/.exec(line);
    if (ctl) cur.acsCtl = acsBits(ctl[1]!);
  }
  return out;
}

const KIND_OF_EXPRESS: Readonly<Record<string, PciNodeDescription['kind']>> = {
  'Root Port': 'rootPort',
  'Upstream Port': 'switchUpstream',
  'Downstream Port': 'switchDownstream',
  Endpoint: 'endpoint',
  'Legacy Endpoint': 'endpoint',
  'Root Complex Integrated Endpoint': 'endpoint',
  'PCI-Express to PCI/PCI-X Bridge': 'pcieToPciBridge',
  'PCI/PCI-X to PCI-Express Bridge': 'pcieToPciBridge',
};

const CLASS_NAMES: Readonly<Record<number, string>> = {
  264: 'nvme',
  512: 'nic',
  768: 'gpu',
  770: 'gpu',
  1027: 'audio',
  3075: 'usb',
  262: 'sata',
  3077: 'smbus',
  1537: 'isa',
  1536: 'host-bridge',
  1540: 'bridge',
  2054: 'iommu',
};

/** The `pci:` list of a host description, from `lspci -vvnn` output. */
export function parseLspci(text: string, file = 'lspci'): PciNodeDescription[] {
  const raws = parseRaw(text, file);
  const parentOfBus = new Map<string, string>();
  for (const r of raws) if (r.secondary !== undefined) parentOfBus.set(`${r.segment}:${r.secondary}`, r.text);
  const slots = new Map<string, number>();
  for (const r of raws) {
    const slot = r.text.slice(0, -2);
    slots.set(slot, (slots.get(slot) ?? 0) + 1);
  }
  return raws.map((r) => {
    const bridge = r.secondary !== undefined;
    let kind: PciNodeDescription['kind'] = r.express
      ? KIND_OF_EXPRESS[r.express]!
      : bridge
        ? 'pcieToPciBridge'
        : 'endpoint';
    if (bridge && (kind === 'endpoint' || kind === undefined)) kind = 'pcieToPciBridge';
    const parent = parentOfBus.get(`${r.segment}:${r.bus}`);
    if (!r.express && !bridge && parent) {
      const p = raws.find((x) => x.text === parent);
      if (p && !p.express) kind = 'pciEndpoint';
      if (p?.express === 'PCI-Express to PCI/PCI-X Bridge') kind = 'pciEndpoint';
    }
    const node: PciNodeDescription = {
      bdf: r.text,
      kind,
      vendor: r.vendor,
      device: r.device,
      class: CLASS_NAMES[r.classCode] ?? `0x${r.classCode.toString(16).padStart(4, '0')}`,
      ...(parent && { parent }),
      ...(r.acsCap ? { acs: { cap: r.acsCap, ctrl: r.acsCtl ?? [] } } : { acs: false }),
      ...((slots.get(r.text.slice(0, -2)) ?? 0) > 1 && { multifunction: true }),
    };
    return node;
  });
}

const DMESG_DEV_RE =
  /pci ([0-9a-f]{4}):([0-9a-f]{2}):([01][0-9a-f])\.([0-7]): \[([0-9a-f]{4}):([0-9a-f]{4})\] type (0[01]) class 0x([0-9a-f]{6})/;
const DMESG_BRIDGE_RE = /pci ([0-9a-f]{4}:[0-9a-f]{2}:[01][0-9a-f]\.[0-7]): PCI bridge to \[bus ([0-9a-f]{2})/;

/**
 * The `pci:` list from a Linux boot log's enumeration lines ("pci 0000:00:1c.0: [8086:3a40] type 01
 * class 0x060400" and "pci 0000:00:1c.0: PCI bridge to [bus 05]"), for machines whose lspci is not
 * at hand. The log gives no PCIe port types and no ACS registers: bridges on a root bus are taken
 * as root ports, subtractive-decode bridges (class 0x060401) as PCIe-to-PCI bridges, other bridges
 * as switch downstream ports, and no function has ACS — Linux's view of a platform without ACS.
 */
export function parseDmesgPci(text: string, file = 'dmesg'): PciNodeDescription[] {
  const devs: { text: string; bus: number; type: string; cls: number; vendor: string; device: string }[] = [];
  const secondaryOf = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    const m = DMESG_DEV_RE.exec(line);
    if (m) {
      if (devs.length >= MAX_LSPCI_FUNCTIONS) throw new HostError('DESCRIPTION_INVALID', `${file}: too many functions`);
      devs.push({
        text: `${m[1]}:${m[2]}:${m[3]}.${m[4]}`,
        bus: Number.parseInt(m[2]!, 16),
        type: m[7]!,
        cls: Number.parseInt(m[8]!, 16),
        vendor: m[5]!,
        device: m[6]!,
      });
      continue;
    }
    const b = DMESG_BRIDGE_RE.exec(line);
    if (b) secondaryOf.set(b[1]!, Number.parseInt(b[2]!, 16));
  }
  if (!devs.length)
    throw new HostError('DESCRIPTION_INVALID', `${file}: no "pci ...: [vvvv:dddd] type .. class .." lines`);
  const parentOfBus = new Map<number, (typeof devs)[number]>();
  for (const d of devs) if (secondaryOf.has(d.text)) parentOfBus.set(secondaryOf.get(d.text)!, d);
  const kindOf = (d: (typeof devs)[number]): PciNodeDescription['kind'] => {
    const parent = parentOfBus.get(d.bus);
    if (d.type === '01') {
      if ((d.cls & 0xff) === 0x01) return 'pcieToPciBridge';
      return parent ? 'switchDownstream' : 'rootPort';
    }
    return parent && (parent.cls & 0xff) === 0x01 ? 'pciEndpoint' : 'endpoint';
  };
  return devs.map((d) => ({
    bdf: d.text,
    kind: kindOf(d),
    vendor: d.vendor,
    device: d.device,
    class: CLASS_NAMES[d.cls >> 8] ?? `0x${(d.cls >> 8).toString(16).padStart(4, '0')}`,
    acs: false,
    ...(parentOfBus.get(d.bus) && { parent: parentOfBus.get(d.bus)!.text }),
  }));
}
