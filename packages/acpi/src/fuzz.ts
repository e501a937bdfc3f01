// SPDX-License-Identifier: Apache-2.0
// Fuzzing the decoders: random and mutated tables (bit flips, corrupted lengths, truncation,
// splices of two tables, random bytes behind a valid header). Anything escaping the decoders
// other than AcpiDecodeError is a crash; so is a decode slower than `maxMsPerCase` (a loop that
// does not advance). Decoders only allocate what the input's checked bounds allow. An IORT that
// decodes must also re-encode to the same bytes, validate, and map requester IDs without a throw
// (the ID walk ends on reference cycles).

import { mulberry32 } from '@iofleet/prng';
import { decodeDmar } from './dmar/dmar';
import { isAcpiDecodeError } from './errors';
import { iortPciDevice } from './iort/devices';
import { decodeIort, encodeIort } from './iort/iort';
import { IortIndex } from './iort/map-id';
import { validateIort } from './iort/validate';
import { decodeIvrs } from './ivrs/ivrs';

export interface FuzzReport {
  iterations: number;
  decoded: number;
  rejected: number;
  crashes: { iteration: number; error: string; input: string }[];
  slowest: number;
}

type Mutator = (b: Uint8Array, r: () => number, corpus: readonly Uint8Array[]) => Uint8Array;

const MUTATORS: readonly Mutator[] = [
  (b, r) => {
    const c = b.slice();
    for (let i = 0, n = 1 + Math.floor(r() * 8); i < n; i++) c[Math.floor(r() * c.length)]! ^= 1 << Math.floor(r() * 8);
    return c;
  },
  (b, r) => {
    // Corrupt a structure length field somewhere after the fixed header.
    const c = b.slice();
    const o = 48 + Math.floor(r() * Math.max(1, c.length - 50));
    c[o] = Math.floor(r() * 256);
    c[o + 1] = r() < 0.5 ? 0 : Math.floor(r() * 256);
    return c;
  },
  (b, r) => b.slice(0, Math.floor(r() * b.length)),
  (b, r, corpus) => {
    const other = corpus[Math.floor(r() * corpus.length)]!;
    const cut = Math.floor(r() * b.length);
    const out = new Uint8Array(cut + other.length - Math.min(cut, other.length));
    out.set(b.subarray(0, cut));
    out.set(other.subarray(Math.min(cut, other.length)), cut);
    return out;
  },
  (b, r) => {
    const c = new Uint8Array(48 + Math.floor(r() * 512));
    c.set(b.subarray(0, 48));
    for (let i = 48; i < c.length; i++) c[i] = Math.floor(r() * 256);
    return c;
  },
];

/** Keeps the header's Length equal to the size sometimes, so mutations reach the structures. */
function fixLength(c: Uint8Array, r: () => number): Uint8Array {
  if (c.length >= 8 && r() < 0.8) new DataView(c.buffer, c.byteOffset).setUint32(4, c.length, true);
  return c;
}

/** Decode, re-encode, validate and walk an IORT; throws (a crash) if re-encoding changes a byte. */
function exerciseIort(input: Uint8Array): void {
  const t = decodeIort(input); // a typed error here is a rejection
  try {
    if (!Buffer.from(encodeIort(t)).equals(Buffer.from(input))) throw new Error('re-encode differs from the input');
    validateIort(t);
    const ix = new IortIndex(t);
    for (const rid of [0, 0x100, 0xffff]) iortPciDevice(ix, 0, rid);
  } catch (e) {
    // After a successful decode nothing may fail, typed or not.
    throw new Error(`IORT decoded, then: ${(e as Error).message}`);
  }
}

export function fuzzAcpi(corpus: readonly Uint8Array[], iterations: number, seed = 1, maxMsPerCase = 1000): FuzzReport {
  const r = mulberry32(seed);
  const report: FuzzReport = { iterations, decoded: 0, rejected: 0, crashes: [], slowest: 0 };
  for (let i = 0; i < iterations; i++) {
    const base = corpus[Math.floor(r() * corpus.length)]!;
    const input = fixLength(MUTATORS[Math.floor(r() * MUTATORS.length)]!(base, r, corpus), r);
    const t0 = performance.now();
    try {
      const sig = String.fromCharCode(...input.subarray(0, 4));
      if (sig === 'IVRS') decodeIvrs(input);
      else if (sig === 'IORT') exerciseIort(input);
      else decodeDmar(input);
      report.decoded++;
    } catch (e) {
      if (isAcpiDecodeError(e)) report.rejected++;
      else report.crashes.push({ iteration: i, error: String(e), input: Buffer.from(input).toString('hex') });
    }
    const ms = performance.now() - t0;
    if (ms > report.slowest) report.slowest = ms;
    if (ms > maxMsPerCase)
      report.crashes.push({
        iteration: i,
        error: `took ${ms.toFixed(0)} ms`,
        input: Buffer.from(input).toString('hex'),
      });
  }
  return report;
}
