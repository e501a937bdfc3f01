// SPDX-License-Identifier: Apache-2.0
// A readable IORT listing in the manner of iasl's disassembly: the header, then each node with
// its table offset, fixed fields, arrays and ID mappings (with the node each one leads to).

import { ACPI_HEADER_LENGTH, type AcpiHeader } from '../header';
import type { IortTable } from './iort';
import { IORT_ID_SINGLE_MAPPING } from './layout';
import { IortIndex } from './map-id';
import type { IortNode } from './node';

const h = (v: number | bigint, w = 2) => v.toString(16).toUpperCase().padStart(w, '0');
const kv = (indent: string, k: string, v: string) => `${indent}${k.padEnd(30 - indent.length)} : ${v}`;

function header(x: AcpiHeader): string[] {
  return [
    kv('', 'Signature', `"${x.signature}"`),
    kv('', 'Table Length', h(x.length, 8)),
    kv('', 'Revision', h(x.revision)),
    kv('', 'Checksum', h(x.checksum)),
    kv('', 'Oem ID', `"${x.oemId}"`),
    kv('', 'Oem Table ID', `"${x.oemTableId}"`),
    kv('', 'Oem Revision', h(x.oemRevision, 8)),
    kv('', 'Asl Compiler ID', `"${x.creatorId}"`),
    kv('', 'Asl Compiler Revision', h(x.creatorRevision, 8)),
  ];
}

function nodeLines(ix: IortIndex, i: number, n: IortNode): string[] {
  const out = [
    '',
    `Node #${i} at ${h(ix.offsets[i]!, 4)}h         : ${h(n.type)} [${n.name}] revision ${n.revision} identifier ${h(n.identifier, 8)}`,
  ];
  for (const [k, v] of Object.entries(n.fields)) out.push(kv('  ', k, typeof v === 'bigint' ? h(v, 16) : h(v, 8)));
  if (n.itsIds) out.push(kv('  ', 'GIC ITS identifiers', n.itsIds.map((x) => h(x, 8)).join(' ') || '-'));
  if (n.deviceName !== undefined) out.push(kv('  ', 'Device Name', `"${n.deviceName}"`));
  if (n.globalInterrupts) {
    const g = n.globalInterrupts;
    out.push(
      kv(
        '  ',
        'NSgIrpt / NSgCfgIrpt',
        `${h(g.nsgIrpt, 8)} (${h(g.nsgIrptFlags)}) / ${h(g.nsgCfgIrpt, 8)} (${h(g.nsgCfgIrptFlags)})`,
      ),
    );
  }
  for (const [label, list] of [
    ['Context Interrupt', n.contextInterrupts],
    ['PMU Interrupt', n.pmuInterrupts],
  ] as const)
    for (const x of list ?? []) out.push(kv('  ', label, `GSIV ${h(x.gsiv, 8)} flags ${h(x.flags)}`));
  for (const d of n.rmrDescriptors ?? [])
    out.push(kv('  ', 'Memory Range', `${h(d.baseAddress, 16)} length ${h(d.length, 16)}`));
  n.mappings.forEach((m, k) => {
    const to = ix.nodeAt(m.outputReference);
    const target = to === undefined ? 'no node' : `node #${to} ${ix.node(to).name}`;
    out.push(
      kv(
        '  ',
        `ID Mapping #${k}`,
        `input ${h(m.inputBase, 8)} count-1 ${h(m.idCount, 8)} -> output ${h(m.outputBase, 8)} at ${h(m.outputReference, 8)} (${target})${m.flags & IORT_ID_SINGLE_MAPPING ? ' single' : ''}`,
      ),
    );
  });
  if (n.raw) out.push(kv('  ', 'Raw Bytes', String(n.raw.length)));
  return out;
}

export function listIort(t: IortTable): string {
  const ix = new IortIndex(t);
  const out = header(t.header);
  out.push(
    kv('', 'Node Count', h(t.nodeCount, 8)),
    kv('', 'Node Offset', h(ACPI_HEADER_LENGTH + 12 + t.padding.length, 8)),
  );
  t.nodes.forEach((n, i) => {
    out.push(...nodeLines(ix, i, n));
  });
  return `${out.join('\n')}\n`;
}
