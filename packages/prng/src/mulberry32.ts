// SPDX-License-Identifier: Apache-2.0
// The one seeded pseudo-random generator of the tree. Everything random in iofleet must replay from
// a seed: property tests name the seed that failed, what-if arrivals and their assignment digests
// are the same run to run and across processes, benchmark noise and fuzz cases repeat. So there is
// exactly one generator, here, below every package (it depends on nothing); never Math.random.
//
// mulberry32 (Tommy Ettinger, 2017, public domain): a 32-bit state advanced by a Weyl sequence
// (+0x6D2B79F5) and mixed by two multiply-xorshift rounds. Period 2^32, fast in JavaScript because
// every step is a 32-bit integer operation (Math.imul, >>>). Not for cryptography.

/** A generator of numbers uniform in [0, 1), from 32 bits each. */
export type Random = () => number;

/** mulberry32 from `seed` (taken modulo 2^32). Returns numbers in [0, 1) with 32-bit resolution. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
