// SPDX-License-Identifier: Apache-2.0
// Entry point of the `iofleet` command. Each subcommand lives in src/commands/<name>.ts and
// registers itself on the program; this file only lists them.
import { Command, CommanderError } from 'commander';
import { reportAndExit } from './cli-error';
import { COMMANDS } from './commands/index';

export function buildProgram(): Command {
  const program = new Command('iofleet')
    .description(
      'iofleet simulates IOMMUs (Intel VT-d, AMD-Vi, Arm SMMUv3) and the Linux IOMMU/DMA layer on every host of a fleet, ' +
        'and reports what a change of IOMMU policy would do.',
    )
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    // Commander's own errors (unknown option, missing argument...) reach run() as CommanderError.
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.startsWith('error:') ? str : `error: ${str}`) });
  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the command line `argv` (node's own argv: the program and script come first). */
export function run(argv: readonly string[]): void {
  buildProgram()
    .parseAsync([...argv])
    .catch((e: unknown) => {
      // Commander has printed its message already; --help and --version end with exit code 0.
      if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
      reportAndExit(e);
    });
}

if (require.main === module) run(process.argv);
