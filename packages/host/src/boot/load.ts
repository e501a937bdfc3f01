// SPDX-License-Identifier: Apache-2.0
// Loading a host file: the YAML description, validated, and its PCI tree (SR-IOV VFs expanded).

import { type HostDescription, hostDescriptionSchema } from '../description/schema';
import { loadYamlWithSchema } from '../description/yaml-schema';
import { HostError } from '../errors';
import { type BuiltFirmware, buildFirmware } from '../firmware/build-firmware';
import { buildPciTree, withVirtualFunctions } from '../pci/tree';
import { type BootOptions, bootHost } from './boot';
import type { HostImpl } from './host';

export function loadHostDescription(file: string): HostDescription {
  return loadYamlWithSchema(file, hostDescriptionSchema).value;
}

/** Loads and boots a host file (`iofleet host describe|run`). */
export function loadHost(file: string, opts: Omit<BootOptions, 'file'> = {}): HostImpl {
  return bootHost(loadHostDescription(file), { ...opts, file });
}

/** The DMAR or IVRS bytes of a described host (`iofleet acpi build`). */
export function buildHostFirmware(file: string): BuiltFirmware {
  const desc = loadHostDescription(file);
  if (desc.firmware?.table || desc.firmware?.acpidump)
    throw new HostError(
      'DESCRIPTION_INVALID',
      `${file}: host ${desc.name} boots from its own firmware (${desc.firmware.table ?? desc.firmware.acpidump}); there is nothing to build`,
    );
  return buildFirmware(desc, buildPciTree(withVirtualFunctions(desc.pci), file));
}
