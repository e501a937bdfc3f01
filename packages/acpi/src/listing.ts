// SPDX-License-Identifier: Apache-2.0
// A readable field listing, in the manner of iasl's disassembly: one "[offset] name : value" line
// per field, structures introduced by their type.

import { SCOPE_TYPE_NAMES } from './dmar/device-scope';
import type { DmarTable } from './dmar/dmar';
import type { AcpiHeader } from './header';
import { IVHD_ENTRY_NAMES } from './ivrs/device-entries';
import type { IvrsTable } from './ivrs/ivrs';

const h = (v: number | bigint, w = 2) => v.toString(16).toUpperCase().padStart(w, '0');
const line = (off: number, name: string, value: string) =>
  `[${h(off, 3)}h ${off.toString().padStart(4, '0')}] ${name.padEnd(28)} : ${value}`;

function header(x: AcpiHeader): string[] {
  return [
    line(0, 'Signature', `"${x.signature}"`),
    line(4, 'Table Length', h(x.length, 8)),
    line(8, 'Revision', h(x.revision)),
    line(9, 'Checksum', h(x.checksum)),
    line(10, 'Oem ID', `"${x.oemId}"`),
    line(16, 'Oem Table ID', `"${x.oemTableId}"`),
    line(24, 'Oem Revision', h(x.oemRevision, 8)),
    line(28, 'Asl Compiler ID', `"${x.creatorId}"`),
    line(32, 'Asl Compiler Revision', h(x.creatorRevision, 8)),
  ];
}

export function listDmar(t: DmarTable): string {
  const out = header(t.header);
  out.push(line(36, 'Host Address Width', h(t.hostAddressWidth)), line(37, 'Flags', h(t.flags)));
  for (const s of t.structures) {
    out.push('', `Subtable Type                  : ${h(s.type, 4)} [${s.name}]`);
    for (const [k, v] of Object.entries(s.fields))
      out.push(`  ${k.padEnd(28)} : ${typeof v === 'string' ? `"${v}"` : h(v, typeof v === 'bigint' ? 16 : 2)}`);
    for (const sc of s.scopes) {
      out.push(`  Device Scope Type            : ${h(sc.type)} [${SCOPE_TYPE_NAMES[sc.type] ?? 'Reserved'}]`);
      out.push(
        `    Enumeration ID             : ${h(sc.enumerationId)}`,
        `    PCI Bus Number             : ${h(sc.startBus)}`,
      );
      for (const p of sc.path) out.push(`    PCI Path                   : ${h(p.device)},${h(p.function)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function listIvrs(t: IvrsTable): string {
  const out = header(t.header);
  out.push(line(36, 'Virtualization Info', h(t.ivInfo, 8)));
  for (const b of t.blocks) {
    out.push('', `Subtable Type                        : ${h(b.type)} [${b.kind}]`);
    if (b.kind === 'IVHD') {
      out.push(
        `  Flags                              : ${h(b.flags)}`,
        `  DeviceId                           : ${h(b.deviceId, 4)}`,
      );
      out.push(
        `  Base Address                       : ${h(b.baseAddress, 16)}`,
        `  PCI Segment Group                  : ${h(b.segment, 4)}`,
      );
      if (b.efr !== undefined) out.push(`  EFR Register Image                 : ${h(b.efr, 16)}`);
      for (const e of b.entries) {
        const name = IVHD_ENTRY_NAMES[e.type] ?? 'Unknown';
        const extra =
          e.aliasDeviceId !== undefined
            ? ` alias ${h(e.aliasDeviceId, 4)}`
            : e.variety !== undefined
              ? ` handle ${h(e.handle ?? 0)} used ${h(e.usedDeviceId ?? 0, 4)} variety ${e.variety}`
              : e.hid
                ? ` HID "${e.hid}"`
                : '';
        out.push(`    Entry ${h(e.type)} [${name}] DeviceId ${h(e.deviceId, 4)} Data ${h(e.data)}${extra}`);
      }
    } else if (b.kind === 'IVMD') {
      out.push(
        `  Flags                              : ${h(b.flags)}`,
        `  DeviceId                           : ${h(b.deviceId, 4)}`,
      );
      out.push(
        `  Memory Address                     : ${h(b.startAddress, 16)}`,
        `  Memory Length                      : ${h(b.memoryLength, 16)}`,
      );
    } else {
      out.push(`  Raw Bytes                          : ${b.bytes.length}`);
    }
  }
  return `${out.join('\n')}\n`;
}
