// SPDX-License-Identifier: Apache-2.0
// The guard every plugin hook runs in (STYLE.md item 10): a throw becomes a typed PLUGIN_FAULT, a
// hook that does not return within its time limit becomes PLUGIN_TIMEOUT — the process survives.
// The time limit is enforced by V8's watchdog through node:vm (a synchronous infinite loop is
// interrupted), which costs ~50 µs per guarded call: hot loops guard a whole batch of hook calls
// at once (guardBatch) and catch per-call throws cheaply inside it.

import vm from 'node:vm';
import { isSdkError, SdkError } from '@iofleet/sdk';

/** Default wall-clock limit for one lifecycle hook (probe, reset, remove...). */
export const HOOK_TIME_LIMIT_MS = 2_000;

const ctx = vm.createContext({ __fn: null as null | (() => unknown), __out: undefined as unknown });
const script = new vm.Script('__out = __fn()');

function describeThrow(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** Runs `fn` (a plugin's code) with a wall-clock limit; failures become typed SdkErrors. */
export function guard<T>(label: string, fn: () => T, timeLimitMs = HOOK_TIME_LIMIT_MS): T {
  ctx.__fn = fn;
  try {
    script.runInContext(ctx, { timeout: timeLimitMs });
    return ctx.__out as T;
  } catch (e) {
    if ((e as { code?: string })?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT')
      throw new SdkError('PLUGIN_TIMEOUT', `${label}: did not return within ${timeLimitMs} ms; device faulted`, {
        hook: label,
        limitMs: timeLimitMs,
      });
    if (isSdkError(e) && (e.code === 'PLUGIN_FAULT' || e.code === 'PLUGIN_TIMEOUT')) throw e;
    throw new SdkError('PLUGIN_FAULT', `${label}: threw ${describeThrow(e)}; device faulted`, {
      hook: label,
      ...(isSdkError(e) && { cause: e.code }),
    });
  } finally {
    ctx.__fn = null;
    ctx.__out = undefined;
  }
}
