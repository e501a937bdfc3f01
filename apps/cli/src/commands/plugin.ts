// SPDX-License-Identifier: Apache-2.0
// `iofleet plugin new | list`: device plugins.
import { relative } from 'node:path';
import type { Command } from 'commander';
import { action } from '../cli-error';

export function registerPlugin(program: Command): void {
  const plugin = program.command('plugin').description('device plugins: scaffold a new one, list the built-in ones');
  plugin
    .command('new <name>')
    .description('scaffold a device-plugin package that builds and passes the SDK conformance suite as generated')
    .option('--dir <parent>', 'where the package goes (inside the workspace)', 'packages/plugins')
    .action(
      action(async (name: string, o: { dir: string }) => {
        const { scaffoldPlugin } = await import('../plugin-scaffold.js');
        const r = scaffoldPlugin(name, o.dir);
        const where = relative(process.cwd(), r.dir) || r.dir;
        process.stdout.write(
          `created ${where}: ${r.files.join(', ')}\nnext: npm install && npx nx sync, then (cd ${where} && npx vitest run)\n`,
        );
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
