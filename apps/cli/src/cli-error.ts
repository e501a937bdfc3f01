// SPDX-License-Identifier: Apache-2.0
// One place where errors become what a user sees (STYLE.md item 9): `error: ...` on stderr (one line
// per problem: a YAML file with three bad keys gives three lines), never a stack trace (set
// IOFLEET_DEBUG=1 to see one). Exit status 2 for usage errors (bad flags or arguments, as commander
// and the shells' convention have it), 1 for everything else.

import { isOptionError } from '@iofleet/errors';

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** A flag or argument the command cannot take: exit status 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** How many lines of an error message a user sees. */
const MAX_ERROR_LINES = 12;

export function reportAndExit(e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  const lines = msg.split('\n').filter((l) => l.trim() !== '');
  process.stderr.write(`error: ${lines.slice(0, MAX_ERROR_LINES).join('\n  ')}\n`);
  if (process.env.IOFLEET_DEBUG === '1' && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(e instanceof CliError ? e.exitCode : isOptionError(e) ? 2 : 1);
}

/** Prints each distinct warning once, as `warning: ...` on stderr. */
export function warnOnce(): (warning: string) => void {
  const seen = new Set<string>();
  return (w) => {
    if (seen.has(w)) return;
    seen.add(w);
    process.stderr.write(`warning: ${w}\n`);
  };
}

/** Wraps an async command action so every failure goes through reportAndExit. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      reportAndExit(e);
    }
  };
}
