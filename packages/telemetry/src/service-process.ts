// SPDX-License-Identifier: Apache-2.0
// What the two service processes (host agent, scheduler) do alike around their servers: trace when
// an OTLP endpoint is configured, and on SIGTERM or SIGINT drain, flush the traces and exit.
import { type RunningTracing, startTracing } from './setup';

/** True when the standard OTEL_* variables name an OTLP endpoint for traces. */
export function tracingConfigured(env: NodeJS.ProcessEnv): boolean {
  return !!(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** A service's tracing, started when an OTLP endpoint is configured (tracingConfigured); else null. */
export function tracingFromEnv(serviceName: string, env: NodeJS.ProcessEnv = process.env): RunningTracing | null {
  return tracingConfigured(env) ? startTracing({ serviceName }) : null;
}

/** The part of `process` drainOnSignals uses (a test passes its own). */
export interface SignalledProcess {
  once(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  exit(code: number): void;
}

/**
 * On the first SIGTERM or SIGINT (a second is ignored): `onSignal` (a log line), then `drain()`
 * (the server stops taking calls and lets those in flight finish), then the traces are flushed,
 * then exit 0 — or exit 1 when the drain fails.
 */
export function drainOnSignals(
  drain: () => Promise<unknown>,
  tracing: RunningTracing | null,
  onSignal: (signal: string) => void = () => undefined,
  proc: SignalledProcess = process,
): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    onSignal(signal);
    drain()
      .then(() => tracing?.shutdown())
      .then(
        () => proc.exit(0),
        () => proc.exit(1),
      );
  };
  proc.once('SIGTERM', () => stop('SIGTERM'));
  proc.once('SIGINT', () => stop('SIGINT'));
}
