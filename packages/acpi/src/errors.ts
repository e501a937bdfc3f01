// SPDX-License-Identifier: Apache-2.0
// Typed errors of @iofleet/acpi (STYLE.md item 9): a decode error says where — the table
// signature, the byte offset and the structure being read.

const BRAND = Symbol.for('@iofleet/acpi/AcpiDecodeError');

export type AcpiErrorCode = 'TRUNCATED' | 'BAD_LENGTH' | 'BAD_SIGNATURE' | 'BAD_STRUCTURE' | 'BAD_INPUT';

export class AcpiDecodeError extends Error {
  readonly [BRAND] = true;
  override readonly name = 'AcpiDecodeError';
  constructor(
    readonly code: AcpiErrorCode,
    readonly signature: string,
    readonly offset: number,
    readonly structure: string,
    detail: string,
  ) {
    super(`${signature || 'ACPI'}: ${structure} at byte offset ${offset} (0x${offset.toString(16)}): ${detail}`);
  }
}

export function isAcpiDecodeError(e: unknown): e is AcpiDecodeError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}
