// SPDX-License-Identifier: Apache-2.0
// The SDK's own version, and the check every plugin goes through: a plugin names the SDK range it
// was written for (npm semver syntax, e.g. "^0.1.0"); a host refuses a plugin whose range this SDK
// does not satisfy, with a typed error naming both.

import semver from 'semver';
import { SdkError } from './errors';

/** Version of the plugin contract. Bumped on every change a plugin can observe. */
export const SDK_VERSION = '0.1.3';

export function checkSdkRange(plugin: string, range: string, sdkVersion = SDK_VERSION): void {
  if (!semver.validRange(range))
    throw new SdkError('PLUGIN_INVALID', `plugin ${plugin}: sdk range "${range}" is not a semver range`, {
      plugin,
      range,
    });
  if (!semver.satisfies(sdkVersion, range))
    throw new SdkError(
      'SDK_VERSION_MISMATCH',
      `plugin ${plugin} needs @iofleet/sdk ${range}, but this host provides ${sdkVersion}`,
      { plugin, range, sdkVersion },
    );
}
