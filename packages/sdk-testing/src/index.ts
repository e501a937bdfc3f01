// SPDX-License-Identifier: Apache-2.0
// @iofleet/sdk-testing: what a plugin author tests a device with (the conformance suite and a
// deterministic environment on @iofleet/sdk-runtime).

export { type ConformanceOptions, runDevicePluginConformance } from './conformance';
export {
  type AccessRecord,
  MAX_RECORDS,
  type MapRecord,
  TestEnvironment,
  type TestEnvironmentOptions,
  type TestMode,
} from './test-environment';
