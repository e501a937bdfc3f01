// SPDX-License-Identifier: Apache-2.0
// The SDK's own version, and the check every plugin goes through: a plugin names the SDK range it
// was written for (npm semver syntax, e.g. "^0.2.1"); a host refuses a plugin whose range this SDK
// does not satisfy, with a typed error naming both.

import { SdkError } from './errors';
import { satisfies, validRange } from './semver-range';

/**
 * Version of the plugin contract, equal to package.json's (version.test.ts). Bumped on every
 * change a plugin can observe. 0.2.0: the runtime and the testing kit left this package
 * (@iofleet/sdk-runtime, @iofleet/sdk-testing); seeded randomness comes from ctx.random().
 * 0.2.1: readOptions() reads a plugin's options from one spec; optionInteger, optionInvalid. Only
 * additions, so a patch: a plugin written for ^0.2.0 still loads (a 0.3.0 would refuse it).
 * 0.2.2: SerialLink, the serial link (PCIe link, wire) the built-in plugins each wrote. An addition.
 * 0.2.3: ReadyOrderLink, a link whose transfers become ready out of issue order. An addition.
 * 0.2.4: WorkloadHooks.submitBatch and completeBatchMin, fio's submit and complete batches. An
 * addition (both optional, default 1: a plugin that sets neither runs as before).
 */
export const SDK_VERSION = '0.2.4';

export function checkSdkRange(plugin: string, range: string, sdkVersion = SDK_VERSION): void {
  if (!validRange(range))
    throw new SdkError('PLUGIN_INVALID', `plugin ${plugin}: sdk range "${range}" is not a semver range`, {
      plugin,
      range,
    });
  if (!satisfies(sdkVersion, range))
    throw new SdkError(
      'SDK_VERSION_MISMATCH',
      `plugin ${plugin} needs @iofleet/sdk ${range}, but this host provides ${sdkVersion}`,
      { plugin, range, sdkVersion },
    );
}
