// SPDX-License-Identifier: Apache-2.0
import type { UserConfig } from 'vitest/config';

/** The vitest configuration every package and app shares (tools/vitest-config.mjs). */
export declare function packageTestConfig(): UserConfig;
