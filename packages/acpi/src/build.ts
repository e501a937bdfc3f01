// SPDX-License-Identifier: Apache-2.0
// Builds DMAR and IVRS tables from a platform description (for the host model to boot from):
// the header with a computed checksum, structures in the order Linux expects (a segment's
// INCLUDE_PCI_ALL DRHD last).

import type { DeviceScope } from './dmar/device-scope';
import { type DmarStructure, type DmarTable, encodeDmar } from './dmar/dmar';
import type { AcpiHeader } from './header';
import type { IvhdEntry } from './ivrs/device-entries';
import { encodeIvrs, type IvrsBlock, type IvrsTable } from './ivrs/ivrs';

export interface ScopeSpec {
  /** 1 endpoint, 2 bridge (sub-hierarchy), 3 IOAPIC, 4 HPET, 5 ACPI namespace device. */
  type: number;
  startBus: number;
  path: { device: number; function: number }[];
  enumerationId?: number;
}

export interface DmarSpec {
  /** Host address width in bits (the table stores width - 1). */
  hostAddressWidth: number;
  interruptRemapping?: boolean;
  x2apicOptOut?: boolean;
  platformOptIn?: boolean;
  units: { segment: number; base: bigint; includeAll?: boolean; sizeField?: number; scopes: ScopeSpec[] }[];
  rmrrs?: { segment: number; base: bigint; end: bigint; scopes: ScopeSpec[] }[];
  /** Root ports whose devices may use ATS (one ATSR per segment). */
  atsr?: { segment: number; allPorts?: boolean; scopes: ScopeSpec[] }[];
  oemId?: string;
  oemTableId?: string;
}

const scope = (s: ScopeSpec): DeviceScope => ({
  type: s.type,
  length: 6 + 2 * s.path.length,
  flags: 0,
  reserved: 0,
  enumerationId: s.enumerationId ?? 0,
  startBus: s.startBus,
  path: s.path,
});

function header(signature: string, revision: number, oemId = 'IOFLT ', oemTableId = 'IOFLEET '): AcpiHeader {
  return {
    signature,
    length: 0,
    revision,
    checksum: 0,
    oemId,
    oemTableId,
    oemRevision: 1,
    creatorId: 'IOFL',
    creatorRevision: 1,
  };
}

export function buildDmar(spec: DmarSpec): Uint8Array {
  const units = [...spec.units].sort(
    (a, b) => a.segment - b.segment || Number(!!a.includeAll) - Number(!!b.includeAll),
  );
  const structures: DmarStructure[] = units.map((u) => ({
    type: 0,
    name: 'DRHD',
    fields: { Flags: u.includeAll ? 1 : 0, Size: u.sizeField ?? 0, Segment: u.segment, RegisterBaseAddress: u.base },
    scopes: u.scopes.map(scope),
  }));
  for (const r of spec.rmrrs ?? []) {
    structures.push({
      type: 1,
      name: 'RMRR',
      fields: { Reserved: 0, Segment: r.segment, BaseAddress: r.base, EndAddress: r.end },
      scopes: r.scopes.map(scope),
    });
  }
  for (const a of spec.atsr ?? []) {
    structures.push({
      type: 2,
      name: 'ATSR',
      fields: { Flags: a.allPorts ? 1 : 0, Reserved: 0, Segment: a.segment },
      scopes: a.scopes.map(scope),
    });
  }
  const t: DmarTable = {
    header: header('DMAR', 1, spec.oemId, spec.oemTableId),
    hostAddressWidth: spec.hostAddressWidth - 1,
    flags: (spec.interruptRemapping ? 1 : 0) | (spec.x2apicOptOut ? 2 : 0) | (spec.platformOptIn ? 4 : 0),
    reserved: new Array(10).fill(0),
    structures,
  };
  return encodeDmar(t, { fixChecksum: true });
}

export interface IvrsSpec {
  /** IVinfo: physical and virtual address sizes (bits 14:8, 21:15), EFRSup. */
  physicalAddressBits: number;
  virtualAddressBits: number;
  iommus: {
    deviceId: number;
    segment: number;
    base: bigint;
    capabilityOffset?: number;
    efr?: bigint;
    /** DeviceID ranges the IOMMU translates ([first, last]), or 'all'. */
    devices: 'all' | [number, number][];
    /** IOAPIC/HPET special entries: handle, the DeviceID they use, variety 1 IOAPIC / 2 HPET. */
    specials?: { handle: number; deviceId: number; variety: 1 | 2 }[];
  }[];
  unityMaps?: { deviceId: number; start: bigint; length: bigint; read: boolean; write: boolean }[];
}

export function buildIvrs(spec: IvrsSpec): Uint8Array {
  const blocks: IvrsBlock[] = spec.iommus.map((u) => {
    const entries: IvhdEntry[] = [];
    if (u.devices === 'all') entries.push({ type: 0x01, deviceId: 0, data: 0 });
    else {
      for (const [a, b] of u.devices) {
        if (a === b) entries.push({ type: 0x02, deviceId: a, data: 0 });
        else entries.push({ type: 0x03, deviceId: a, data: 0 }, { type: 0x04, deviceId: b, data: 0 });
      }
    }
    for (const s of u.specials ?? [])
      entries.push({
        type: 0x48,
        deviceId: 0,
        data: 0xd7,
        handle: s.handle,
        usedDeviceId: s.deviceId,
        variety: s.variety,
      });
    return {
      kind: 'IVHD',
      type: 0x11,
      flags: 0x30,
      deviceId: u.deviceId,
      capabilityOffset: u.capabilityOffset ?? 0x40,
      baseAddress: u.base,
      segment: u.segment,
      info: 0,
      attributes: 0,
      efr: u.efr ?? 0n,
      efr2: 0n,
      entries,
    };
  });
  for (const m of spec.unityMaps ?? []) {
    blocks.push({
      kind: 'IVMD',
      type: 0x21,
      flags: 1 | (m.read ? 2 : 0) | (m.write ? 4 : 0),
      deviceId: m.deviceId,
      auxData: 0,
      reserved: 0n,
      startAddress: m.start,
      memoryLength: m.length,
    });
  }
  const t: IvrsTable = {
    header: header('IVRS', 2),
    ivInfo: ((spec.virtualAddressBits & 0x7f) << 15) | ((spec.physicalAddressBits & 0x7f) << 8) | 1,
    reserved: 0n,
    blocks,
  };
  return encodeIvrs(t, { fixChecksum: true });
}
