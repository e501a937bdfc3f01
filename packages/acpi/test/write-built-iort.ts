// SPDX-License-Identifier: Apache-2.0
// Rewrites test/fixtures/built/iofleet-arm-2s.IORT.dat from its spec (fixtures/built/README.md):
//   npx tsx test/write-built-iort.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIort } from '../src/index';
import { ARM_2S } from './iort-built-spec';

writeFileSync(join(__dirname, 'fixtures', 'built', 'iofleet-arm-2s.IORT.dat'), buildIort(ARM_2S));
