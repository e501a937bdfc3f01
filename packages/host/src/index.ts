// SPDX-License-Identifier: Apache-2.0

export { type BootOptions, bootHost, hostCostProfile } from './boot/boot';
export { fullName, type HostDevice, type HostGroup, HostImpl as Host, type SysfsGroup } from './boot/host';
export {
  type HostInventoryView,
  hostInventory,
  type InventoryDevice,
  inventoryIommuMode,
  isEndpointKind,
  isPciEndpoint,
} from './boot/inventory';
export type { FirmwareUnits, HostUnit } from './boot/iommu-units';
export { type KernelOverrides, type KernelPolicy, kernelPolicy } from './boot/kernel-policy';
export { buildHostFirmware, loadHost, loadHostDescription } from './boot/load';
export { hostJsonSchema, yamlFileJsonSchema } from './description/json-schema';
export {
  type HostDescription,
  hostDescriptionSchema,
  type PciNodeDescription,
} from './description/schema';
export {
  type IssueSink,
  type LoadedYaml,
  loadYamlWithSchema,
  parseYamlWithSchema,
  pathToString,
  refineUnique,
} from './description/yaml-schema';
export {
  attachPlugin,
  detachPlugin,
  lookupPlugin,
  MAX_KEPT_FAULTS,
  type PluginDevice,
  type PluginRegistry,
} from './devices/plugin-devices';
export { type DescriptionIssue, formatIssue, HostError, type HostErrorCode, isHostError } from './errors';
export {
  type BuiltFirmware,
  buildFirmware,
  DEFAULT_DRHD_BASE,
  DEFAULT_IVHD_BASE,
  dmarSpecFor,
  ivrsSpecFor,
} from './firmware/build-firmware';
export { MAX_LSPCI_FUNCTIONS, parseDmesgPci, parseLspci } from './pci/lspci';
export { buildPciTree, type PciFunction, PciTree, VF_OFFSET, VF_STRIDE, withVirtualFunctions } from './pci/tree';
export {
  EMULATION_COST,
  GUEST_MEMORY_MIB,
  type GuestDevice,
  guestDevice,
} from './vm/guest-device';
export { hostDriverOf, MAX_VM_MEMORY_MIB, Vm, type VmOptions } from './vm/vm';
export {
  type HostRunOptions,
  type HostRunRow,
  parseWorkloadSpec,
  runHostWorkload,
  type WorkloadSpec,
} from './workload/host-run';
export {
  DEFAULT_RUN_MS,
  GUEST_DEVICE_MODELS,
  GUEST_VCPUS,
  type GuestDeviceModel,
  MAX_RUN_MS,
  MODE_CMDLINE,
  RUN_MODES,
  type RunMode,
} from './workload/run-modes';
