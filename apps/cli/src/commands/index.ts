// SPDX-License-Identifier: Apache-2.0
// Every subcommand of `iofleet`, in the order `iofleet --help` lists them.
import type { Command } from 'commander';
import { registerAcpi } from './acpi';
import { registerBench } from './bench';
import { registerCalibrate } from './calibrate';
import { registerDma } from './dma';
import { registerHost } from './host';
import { registerPlugin } from './plugin';
import { registerSimulate } from './simulate';
import { registerWorker } from './worker';

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: readonly RegisterCommand[] = [
  registerSimulate,
  registerHost,
  registerDma,
  registerAcpi,
  registerPlugin,
  registerCalibrate,
  registerBench,
  registerWorker,
];
