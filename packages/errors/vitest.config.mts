// SPDX-License-Identifier: Apache-2.0
import { packageTestConfig } from '../../tools/vitest-config.mjs';

export default packageTestConfig();
