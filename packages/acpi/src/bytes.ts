// SPDX-License-Identifier: Apache-2.0
// Bounds-checked little-endian reader and writer for ACPI tables (STYLE.md item 7). Every read
// names the structure it serves, so an error says where. 64-bit values are bigints.

import { AcpiDecodeError } from './errors';

export class ByteReader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly signature: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  need(offset: number, n: number, structure: string): void {
    if (offset < 0 || n < 0 || offset + n > this.bytes.length) {
      throw new AcpiDecodeError(
        'TRUNCATED',
        this.signature,
        offset,
        structure,
        `needs ${n} bytes, table has ${Math.max(0, this.bytes.length - offset)} left`,
      );
    }
  }
  u8(o: number, s: string): number {
    this.need(o, 1, s);
    return this.view.getUint8(o);
  }
  u16(o: number, s: string): number {
    this.need(o, 2, s);
    return this.view.getUint16(o, true);
  }
  u32(o: number, s: string): number {
    this.need(o, 4, s);
    return this.view.getUint32(o, true);
  }
  u64(o: number, s: string): bigint {
    this.need(o, 8, s);
    return this.view.getBigUint64(o, true);
  }
  slice(o: number, n: number, s: string): Uint8Array {
    this.need(o, n, s);
    return this.bytes.slice(o, o + n);
  }
  ascii(o: number, n: number, s: string): string {
    return String.fromCharCode(...this.slice(o, n, s));
  }
}

export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.grow(1);
    this.view.setUint8(this.length++, v);
  }
  u16(v: number): void {
    this.grow(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.grow(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }
  u64(v: bigint): void {
    this.grow(8);
    this.view.setBigUint64(this.length, BigInt.asUintN(64, v), true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  ascii(s: string, n: number): void {
    for (let i = 0; i < n; i++) this.u8(i < s.length ? s.charCodeAt(i) & 0xff : 0);
  }
  /** Overwrites a u16 at `offset` (lengths known only after the body is written). */
  patchU16(offset: number, v: number): void {
    this.view.setUint16(offset, v, true);
  }
  patchU32(offset: number, v: number): void {
    this.view.setUint32(offset, v >>> 0, true);
  }
  patchU8(offset: number, v: number): void {
    this.view.setUint8(offset, v);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
