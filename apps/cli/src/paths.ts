// SPDX-License-Identifier: Apache-2.0
// Files of the repository the CLI uses as defaults. Resolved from this file's directory, which is
// apps/cli/src when run from sources and apps/cli/bundle when run from the bundle: the same depth.
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
/** The `iofleet` command's launcher (apps/cli/bin): runs the CLI's bundle from any directory. */
export const CLI_MAIN = join(REPO_ROOT, 'apps', 'cli', 'bin', 'iofleet.cjs');
export const EXAMPLE_HOSTS_DIR = join(REPO_ROOT, 'examples', 'hosts');
export const EXAMPLE_SCENARIOS_DIR = join(REPO_ROOT, 'examples', 'scenarios');
/** The host file `bench agent` serves by default. */
export const DEFAULT_AGENT_TEMPLATE = join(EXAMPLE_HOSTS_DIR, 'intel-xeon-2s.yaml');
/** The host file of the end-to-end placement benchmark's fleet. */
export const E2E_TEMPLATE = join(EXAMPLE_HOSTS_DIR, 'gpu-node.yaml');
