// SPDX-License-Identifier: Apache-2.0
// Typed errors of @iofleet/host (STYLE.md item 9): stable codes, structured fields, and a guard
// that works across duplicate copies of the package.

const HOST_ERROR_BRAND = Symbol.for('@iofleet/host/HostError');

export type HostErrorCode =
  | 'DESCRIPTION_INVALID' // a host description failed its schema
  | 'YAML_SYNTAX' // the file is not valid YAML
  | 'FILE_NOT_FOUND'
  | 'TOPOLOGY_INVALID' // the PCI tree is inconsistent (unknown parent, duplicate BDF...)
  | 'BOOT_FAILED'
  | 'UNKNOWN_DEVICE'
  | 'VFIO'
  | 'PLUGIN';

export interface DescriptionIssue {
  /** File the issue is in (as given by the user). */
  file: string;
  /** 1-based line, when the YAML node could be located. */
  line?: number;
  /** Path inside the document, e.g. `pci[3].bdf`. */
  path: string;
  message: string;
}

export class HostError extends Error {
  readonly [HOST_ERROR_BRAND] = true;
  override readonly name = 'HostError';
  constructor(
    readonly code: HostErrorCode,
    message: string,
    readonly issues: readonly DescriptionIssue[] = [],
  ) {
    super(message);
  }
}

export function isHostError(e: unknown): e is HostError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[HOST_ERROR_BRAND] === true;
}

export function formatIssue(i: DescriptionIssue): string {
  return `${i.file}${i.line ? `:${i.line}` : ''}: ${i.path || '(top level)'}: ${i.message}`;
}
