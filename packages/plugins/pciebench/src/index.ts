// SPDX-License-Identifier: Apache-2.0
export {
  linkBytes,
  PCIEBENCH_MAX_TAGS,
  PCIEBENCH_MAX_WINDOW,
  type PciebenchOptions,
  parsePciebenchOptions,
  pciebenchPlugin,
} from './pciebench';
