// SPDX-License-Identifier: Apache-2.0
// Typed errors of @iofleet/sdk (STYLE.md item 9), with a guard that works across copies of the
// package (a plugin may bundle its own copy of the SDK).

const SDK_ERROR_BRAND = Symbol.for('@iofleet/sdk/SdkError');

export type SdkErrorCode =
  | 'PLUGIN_INVALID' // the definition is malformed (name, version, hooks)
  | 'SDK_VERSION_MISMATCH' // the plugin needs an SDK range this SDK does not satisfy
  | 'OPTION_INVALID' // a device option was rejected by the plugin's parser
  | 'PLUGIN_FAULT' // a hook threw: the device is faulted
  | 'PLUGIN_TIMEOUT' // a hook ran past its time limit: the device is faulted
  | 'DMA_OUT_OF_BOUNDS'; // the device accessed memory it had not been given

export class SdkError extends Error {
  readonly [SDK_ERROR_BRAND] = true;
  override readonly name = 'SdkError';
  constructor(
    readonly code: SdkErrorCode,
    message: string,
    readonly details: Readonly<Record<string, string | number | boolean>> = {},
  ) {
    super(message);
  }
}

export function isSdkError(e: unknown): e is SdkError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[SDK_ERROR_BRAND] === true;
}
