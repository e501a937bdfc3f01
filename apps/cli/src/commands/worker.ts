// SPDX-License-Identifier: Apache-2.0
// `iofleet worker --redis URL`: a process that runs distributed what-ifs' device workloads
// (io-worker.ts). Start any number, on any machine that reaches the Redis and has the same host
// files and plugins; `simulate --distributed --workers N` starts N of them itself.
import type { Command } from 'commander';
import { action, UsageError } from '../cli-error';
import { positiveInt } from './bench';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'run device workloads of distributed what-ifs (simulate --distributed) taken from Redis; start one per core,\n' +
        'on as many machines as you like, against the same Redis',
    )
    .requiredOption(
      '--redis <url>',
      'Redis URL (redis://[:password@]host:port[/db]) [IOFLEET_REDIS_URL]',
      process.env.IOFLEET_REDIS_URL,
    )
    .option(
      '--namespace <ns>',
      'key and queue namespace, as the runs use it',
      process.env.IOFLEET_NAMESPACE ?? 'iofleet',
    )
    .option('--concurrency <n>', 'jobs at once in this process (they are CPU-bound)', positiveInt('concurrency'), 1)
    .option('--plugin <module...>', 'load device plugins from these modules, beside the built-in ones')
    .action(
      action(async (o: { redis: string; namespace: string; concurrency: number; plugin?: string[] }) => {
        const { NAMESPACE_PATTERN } = await import('@iofleet/jobs');
        if (!NAMESPACE_PATTERN.test(o.namespace))
          throw new UsageError(`--namespace: invalid namespace '${o.namespace}'`);
        const { pluginRegistry } = await import('../plugins.js');
        const { startIoWorker } = await import('../io-worker.js');
        const w = await startIoWorker({
          redisUrl: o.redis,
          namespace: o.namespace,
          concurrency: o.concurrency,
          plugins: pluginRegistry(o.plugin),
        });
        // The first line says it is ready (the CLI and scripts wait for it).
        process.stdout.write(`io worker ready on ${o.namespace}, concurrency ${o.concurrency}\n`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            w.close().finally(() => resolve());
          };
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
        process.stdout.write(`io worker stopped after ${w.done} job(s)\n`);
      }),
    );
}
