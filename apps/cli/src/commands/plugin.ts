// SPDX-License-Identifier: Apache-2.0
// `iofleet plugin new | list`: device plugins.
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { action } from '../cli-error';

export function registerPlugin(program: Command): void {
  const plugin = program.command('plugin').description('device plugins: scaffold a new one, list the built-in ones');
  plugin
    .command('new <name>')
    .description('scaffold a device-plugin package that builds and passes the SDK conformance suite as generated')
    .option(
      '--dir <parent>',
      'where the package goes (default: packages/plugins in the iofleet workspace, else the current directory); ' +
        'outside the workspace it is a package of its own with the SDK packed into its vendor/',
    )
    .action(
      action(async (name: string, o: { dir?: string }) => {
        const { findWorkspaceRoot, scaffoldPlugin } = await import('../plugin-scaffold.js');
        const root = findWorkspaceRoot(process.cwd());
        const parent = o.dir ?? (root ? join(root, 'packages', 'plugins') : process.cwd());
        if (process.stderr.isTTY) process.stderr.write(`creating ${name}...\n`);
        const r = await scaffoldPlugin(name, parent);
        const where = relative(process.cwd(), r.dir) || r.dir;
        const next = r.standalone
          ? `(cd ${where} && npm install && npm test)`
          : `npm install && npx nx sync, then (cd ${where} && npx vitest run)`;
        process.stdout.write(`created ${where}: ${r.files.join(', ')}\nnext: ${next}\n`);
      }),
    );
  plugin
    .command('list')
    .description('the built-in device plugins')
    .action(
      action(async () => {
        const { BUILTIN_PLUGINS } = await import('../plugins.js');
        for (const p of BUILTIN_PLUGINS)
          process.stdout.write(`${p.name.padEnd(8)} ${p.version}  ${p.description ?? ''}\n`);
      }),
    );
}
