// SPDX-License-Identifier: Apache-2.0
// The architecture tools on a small fixture workspace (three parts in two layers), one break at a
// time: each must be reported, and the clean workspace must pass.
//   node --test tools/architecture.test.mjs      (tools/run-tests.sh runs it)
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { syncGenerated } from './architecture.mjs';
import { boundaryViolations } from './check-boundaries.mjs';

const DESCRIPTION = {
  layers: [
    { name: 'foundation', summary: 'shared' },
    { name: 'model', summary: 'models' },
  ],
  parts: {
    '@iofleet/vocabulary': { dir: 'packages/vocabulary', layer: 'foundation', dependsOn: [] },
    '@iofleet/prng': { dir: 'packages/prng', layer: 'foundation', dependsOn: [] },
    '@iofleet/core': {
      dir: 'packages/core',
      layer: 'model',
      dependsOn: ['@iofleet/prng'],
      entries: { './testing': { dependsOn: ['@iofleet/vocabulary'], note: 'test helpers' } },
    },
  },
};

let root;
const write = (file, text) => {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), typeof text === 'string' ? text : `${JSON.stringify(text, null, 2)}\n`);
};
const pkg = (name, deps = {}, exportsMap = { '.': { '@iofleet/source': './src/index.ts' } }) => ({
  name,
  description: `${name} for the test`,
  exports: exportsMap,
  dependencies: deps,
});
const violations = () => boundaryViolations(root).violations;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'iofleet-arch-'));
  write('package.json', { workspaces: ['packages/*'] });
  write('tools/architecture.json', DESCRIPTION);
  write('packages/vocabulary/package.json', pkg('@iofleet/vocabulary'));
  write('packages/vocabulary/src/index.ts', "export const SPAN_DMA_MAP = 'dma.map';\n");
  write('packages/prng/package.json', pkg('@iofleet/prng'));
  write('packages/prng/src/index.ts', 'export const one = 1;\n');
  write(
    'packages/core/package.json',
    pkg(
      '@iofleet/core',
      { '@iofleet/prng': '*', '@iofleet/vocabulary': '*' },
      { '.': { '@iofleet/source': './src/index.ts' }, './testing': { '@iofleet/source': './src/testing.ts' } },
    ),
  );
  write('packages/core/src/index.ts', "export { one } from '@iofleet/prng';\nexport { two } from './util';\n");
  write('packages/core/src/util.ts', 'export const two = 2;\n');
  write(
    'packages/core/src/testing.ts',
    "import { SPAN_DMA_MAP } from '@iofleet/vocabulary';\nexport { SPAN_DMA_MAP };\n",
  );
  assert.deepEqual(syncGenerated(root, true).errors, []);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test('the clean fixture passes, and the generated files are then up to date', () => {
  assert.deepEqual(violations(), []);
  assert.deepEqual(syncGenerated(root, false).stale, []);
});

test('a stale doc or a hand-edited tag is reported by --check', () => {
  write('docs/architecture.md', '# edited by hand\n');
  assert.deepEqual(syncGenerated(root, false).stale, ['docs/architecture.md']);
});

test('an import its entry point may not use (static, dynamic or require)', () => {
  for (const line of [
    "import { SPAN_DMA_MAP } from '@iofleet/vocabulary';",
    "const v = await import('@iofleet/vocabulary');",
    "const v = require('@iofleet/vocabulary');",
  ]) {
    write('packages/core/src/util.ts', `${line}\nexport const two = 2;\n`);
    assert.deepEqual(violations(), [
      'packages/core/src/util.ts: imports @iofleet/vocabulary, which entry . of @iofleet/core may not use',
    ]);
  }
});

test('a dependency that is not an arrow, an arrow never imported, and an arrow up the layers', () => {
  write('packages/prng/package.json', pkg('@iofleet/prng', { '@iofleet/core': '*' }));
  write('packages/prng/src/index.ts', "export { one } from '@iofleet/core';\n");
  const v = violations();
  assert.ok(
    v.includes(
      '@iofleet/prng: package.json depends on @iofleet/core, which is not an arrow of tools/architecture.json',
    ),
    v.join('\n'),
  );
  assert.ok(
    v.includes('@iofleet/prng (layer:foundation): may not depend on @iofleet/core (layer:model)'),
    v.join('\n'),
  );
  write('packages/core/src/index.ts', 'export const one = 1;\n');
  assert.ok(violations().includes('@iofleet/core: arrow to @iofleet/prng is never imported (remove it)'));
  write('tools/architecture.json', {
    ...DESCRIPTION,
    parts: {
      ...DESCRIPTION.parts,
      '@iofleet/prng': { ...DESCRIPTION.parts['@iofleet/prng'], dependsOn: ['@iofleet/core'] },
    },
  });
  assert.ok(
    syncGenerated(root, false).errors.includes(
      '@iofleet/prng (foundation): dependsOn @iofleet/core (model) does not point to a lower layer',
    ),
  );
});

test('a project the description does not name, and a reach into another package', () => {
  write('packages/extra/package.json', pkg('@iofleet/extra'));
  write('packages/core/src/util.ts', "export { one } from '@iofleet/prng/src/index';\n");
  const v = violations();
  assert.ok(v.includes('@iofleet/extra (packages/extra): not described in tools/architecture.json'), v.join('\n'));
  assert.ok(v.includes('packages/core/src/util.ts: reaches into @iofleet/prng/src/index'), v.join('\n'));
});

test('a vocabulary name spelt outside the vocabulary (not in comments or tests)', () => {
  write('packages/core/src/util.ts', "// the span 'dma.map'\nexport const name = 'dma.map';\n");
  write('packages/core/src/util.test.ts', "export const name = 'dma.map';\n");
  assert.deepEqual(violations(), [
    "packages/core/src/util.ts: spells 'dma.map'; import SPAN_DMA_MAP from @iofleet/vocabulary",
  ]);
});

test("a part's inner layers: an import up them, a file in none, an import loop", () => {
  const core = DESCRIPTION.parts['@iofleet/core'];
  const inside = [
    { entry: '.', holds: ['index.ts', 'util.ts'], summary: 'base' },
    { entry: './testing', holds: ['testing.ts'], summary: 'helpers' },
  ];
  write('tools/architecture.json', {
    ...DESCRIPTION,
    parts: { ...DESCRIPTION.parts, '@iofleet/core': { ...core, inside } },
  });
  assert.deepEqual(violations(), []);
  write('packages/core/src/util.ts', "export { SPAN_DMA_MAP } from './testing';\nexport const two = 2;\n");
  assert.ok(
    violations().includes(
      'packages/core/src/util.ts: imports testing.ts, of a higher layer of @iofleet/core (./testing above .)',
    ),
    violations().join('\n'),
  );
  write('packages/core/src/util.ts', "import { one } from './index';\nexport const two = one + 1;\n");
  write('packages/core/src/extra.ts', 'export const three = 3;\n');
  const v = violations();
  assert.ok(
    v.includes('packages/core/src/util.ts: imports index.ts, which imports it back (an import loop)'),
    v.join('\n'),
  );
  assert.ok(v.includes('packages/core/src/extra.ts: in no inner layer of @iofleet/core'), v.join('\n'));
  const knownLoops = [{ files: ['index.ts', 'util.ts'], note: 'being split' }];
  write('tools/architecture.json', {
    ...DESCRIPTION,
    parts: { ...DESCRIPTION.parts, '@iofleet/core': { ...core, inside, knownLoops } },
  });
  assert.ok(!violations().some((x) => x.includes('import loop')), violations().join('\n'));
});
