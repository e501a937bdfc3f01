// SPDX-License-Identifier: Apache-2.0
export { benchPurePlacement, type PurePlacementBench, syntheticHost, syntheticVm } from './bench';
export { type DeviceChoice, type DeviceReason, findDevices } from './device-search';
export { type Assignment, FleetState, type HostEntry } from './fleet-state';
export { MAX_FLEET_HOSTS, MAX_VMS } from './limits';
export {
  DEFAULT_POLICY,
  type DeviceRequest,
  type HostUsage,
  type IommuMode,
  type NumaPolicy,
  type PlacementDevice,
  type PlacementHost,
  type PlacementNumaNode,
  type PolicyOptions,
  type Strategy,
  type VmRequest,
} from './model';
export { type Decision, evaluateHost, PlacementPolicy, type RejectReason } from './policy';
