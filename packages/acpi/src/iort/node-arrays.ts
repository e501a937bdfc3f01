// SPDX-License-Identifier: Apache-2.0
// The arrays inside IORT nodes, as data: where each one's count and offset live and how one entry
// is read and written. ID mappings (struct acpi_iort_id_mapping) are common to every node type; the GIC ITS
// identifier array, the SMMUv1/v2 global, context and PMU interrupt arrays (struct
// acpi_iort_smmu_gsi and GSIV/flags pairs) and RMR memory range descriptors (struct
// acpi_iort_rmr_desc) belong to one type each.

import { type ByteReader, ByteWriter } from '../bytes';
import { AcpiDecodeError } from '../errors';
import { IORT_ID_MAPPING_SIZE } from './layout';
import type { IortNode } from './node';

export interface IdMapping {
  inputBase: number; // +0: lowest input ID
  idCount: number; // +4: number of IDs in the range minus one
  outputBase: number; // +8: lowest output ID
  outputReference: number; // +12: table offset of the output node
  flags: number; // +16: bit 0 single mapping
}

export type ArrayKey =
  | 'mappings'
  | 'itsIds'
  | 'globalInterrupts'
  | 'contextInterrupts'
  | 'pmuInterrupts'
  | 'rmrDescriptors';

export interface ArraySpec {
  key: ArrayKey;
  /** Node types that carry it. */
  types: readonly number[];
  /** Offset of the u32 count in the node (undefined: always one entry). */
  countOffset: number | undefined;
  countName: string;
  /** Node offset where the array starts (undefined: the offset field is absent). */
  offsetOf(n: IortNode): number | undefined;
  entrySize: number;
  what: string;
  decodeInto(r: ByteReader, at: number, count: number, n: IortNode): void;
  encode(w: ByteWriter, n: IortNode): void;
}

const num = (v: number | bigint | undefined): number | undefined => (v === undefined ? undefined : Number(v));

function readMapping(r: ByteReader, o: number): IdMapping {
  return {
    inputBase: r.u32(o, 'ID mapping'),
    idCount: r.u32(o + 4, 'ID mapping'),
    outputBase: r.u32(o + 8, 'ID mapping'),
    outputReference: r.u32(o + 12, 'ID mapping'),
    flags: r.u32(o + 16, 'ID mapping'),
  };
}

const interrupts =
  (key: 'contextInterrupts' | 'pmuInterrupts') =>
  (r: ByteReader, at: number, count: number, n: IortNode): void => {
    const list = [];
    for (let i = 0; i < count; i++)
      list.push({ gsiv: r.u32(at + 8 * i, 'SMMU interrupt'), flags: r.u32(at + 8 * i + 4, 'SMMU interrupt') });
    n[key] = list;
  };

const writeInterrupts = (key: 'contextInterrupts' | 'pmuInterrupts') => (w: ByteWriter, n: IortNode) => {
  for (const x of n[key] ?? []) {
    w.u32(x.gsiv);
    w.u32(x.flags);
  }
};

export const ARRAYS: readonly ArraySpec[] = [
  {
    key: 'mappings',
    types: [0, 1, 2, 3, 4, 5, 6],
    countOffset: 8,
    countName: 'MappingCount',
    offsetOf: (n) => n.mappingOffset,
    entrySize: IORT_ID_MAPPING_SIZE,
    what: 'ID mappings',
    decodeInto(r, at, count, n) {
      for (let i = 0; i < count; i++) n.mappings.push(readMapping(r, at + IORT_ID_MAPPING_SIZE * i));
    },
    encode(w, n) {
      for (const m of n.mappings) {
        w.u32(m.inputBase);
        w.u32(m.idCount);
        w.u32(m.outputBase);
        w.u32(m.outputReference);
        w.u32(m.flags);
      }
    },
  },
  {
    key: 'itsIds',
    types: [0],
    countOffset: 16,
    countName: 'ItsCount',
    offsetOf: () => 20,
    entrySize: 4,
    what: 'GIC ITS identifiers',
    decodeInto(r, at, count, n) {
      n.itsIds = [];
      for (let i = 0; i < count; i++) n.itsIds.push(r.u32(at + 4 * i, 'ITS identifier'));
    },
    encode(w, n) {
      for (const id of n.itsIds ?? []) w.u32(id);
    },
  },
  {
    key: 'globalInterrupts',
    types: [3],
    countOffset: undefined,
    countName: '',
    offsetOf: (n) => num(n.fields.GlobalInterruptOffset),
    entrySize: 16,
    what: 'global interrupt array',
    decodeInto(r, at, _count, n) {
      n.globalInterrupts = {
        nsgIrpt: r.u32(at, 'SMMU global interrupts'),
        nsgIrptFlags: r.u32(at + 4, 'SMMU global interrupts'),
        nsgCfgIrpt: r.u32(at + 8, 'SMMU global interrupts'),
        nsgCfgIrptFlags: r.u32(at + 12, 'SMMU global interrupts'),
      };
    },
    encode(w, n) {
      const g = n.globalInterrupts!;
      for (const v of [g.nsgIrpt, g.nsgIrptFlags, g.nsgCfgIrpt, g.nsgCfgIrptFlags]) w.u32(v);
    },
  },
  {
    key: 'contextInterrupts',
    types: [3],
    countOffset: 44,
    countName: 'ContextInterruptCount',
    offsetOf: (n) => num(n.fields.ContextInterruptOffset),
    entrySize: 8,
    what: 'context interrupts',
    decodeInto: interrupts('contextInterrupts'),
    encode: writeInterrupts('contextInterrupts'),
  },
  {
    key: 'pmuInterrupts',
    types: [3],
    countOffset: 52,
    countName: 'PmuInterruptCount',
    offsetOf: (n) => num(n.fields.PmuInterruptOffset),
    entrySize: 8,
    what: 'PMU interrupts',
    decodeInto: interrupts('pmuInterrupts'),
    encode: writeInterrupts('pmuInterrupts'),
  },
  {
    key: 'rmrDescriptors',
    types: [6],
    countOffset: 20,
    countName: 'RmrCount',
    offsetOf: (n) => num(n.fields.RmrOffset),
    entrySize: 20,
    what: 'memory range descriptors',
    decodeInto(r, at, count, n) {
      n.rmrDescriptors = [];
      for (let i = 0; i < count; i++)
        n.rmrDescriptors.push({
          baseAddress: r.u64(at + 20 * i, 'RMR descriptor'),
          length: r.u64(at + 20 * i + 8, 'RMR descriptor'),
          reserved: r.u32(at + 20 * i + 16, 'RMR descriptor'),
        });
    },
    encode(w, n) {
      for (const d of n.rmrDescriptors ?? []) {
        w.u64(d.baseAddress);
        w.u64(d.length);
        w.u32(d.reserved);
      }
    },
  },
];

/** The arrays a node carries, as [node offset, bytes]. */
export function regionsOf(n: IortNode): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  for (const spec of ARRAYS) {
    if (!spec.types.includes(n.type)) continue;
    const v = n[spec.key];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    const at = spec.offsetOf(n);
    if (at === undefined || at === 0)
      throw new AcpiDecodeError('BAD_INPUT', 'IORT', 0, `${n.name} node`, `${spec.what} given without an offset`);
    const w = new ByteWriter();
    spec.encode(w, n);
    out.push([at, w.finish()]);
  }
  return out;
}
