// SPDX-License-Identifier: Apache-2.0
// Typed errors of @iofleet/host (STYLE.md item 9): stable codes, structured fields, and a guard
// that works across duplicate copies of the package.

import { errorBrand, TypedError } from '@iofleet/errors';

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

const HOST_ERROR = errorBrand<HostError>('@iofleet/host/HostError');

/** A failure of a host: a description that fails its schema or topology checks lists its `issues`. */
export class HostError extends TypedError<HostErrorCode> {
  readonly [HOST_ERROR.symbol] = true;
  override readonly name = 'HostError';
  constructor(
    code: HostErrorCode,
    message: string,
    readonly issues: readonly DescriptionIssue[] = [],
  ) {
    super(code, message);
  }
}

export const isHostError = HOST_ERROR.is;

export function formatIssue(i: DescriptionIssue): string {
  return `${i.file}${i.line ? `:${i.line}` : ''}: ${i.path || '(top level)'}: ${i.message}`;
}
