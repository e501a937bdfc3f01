// SPDX-License-Identifier: Apache-2.0
// Starts Debian's redis-server on a free loopback port: for integration tests, and for
// `iofleet simulate --distributed` when no --redis URL is given. Never binds beyond 127.0.0.1.

import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RedisProcess {
  port: number;
  url: string;
  proc: ChildProcess;
  /** SIGTERM and wait for exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** SIGKILL, for crash tests. */
  kill(): Promise<void>;
}

export interface RedisOptions {
  bin?: string;
  /** Append-only persistence directory (enables appendonly yes). */
  appendOnlyDir?: string;
  port?: number;
}

function waitReady(proc: ChildProcess): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      if (/Ready to accept connections/.test(out)) resolve(true);
      if (/Address already in use/.test(out)) resolve(false);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('error', reject);
    proc.once('exit', () => resolve(false));
    setTimeout(() => resolve(/Ready/.test(out)), 10_000).unref();
  });
}

export async function startRedisServer(opts: RedisOptions = {}): Promise<RedisProcess> {
  const bin = opts.bin ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = opts.port ?? (await freePort());
    const persistence = opts.appendOnlyDir
      ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', opts.appendOnlyDir]
      : ['--appendonly', 'no'];
    const proc = spawn(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        ...persistence,
        '--daemonize',
        'no',
        '--logfile',
        '',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const ok = await waitReady(proc).catch((e: NodeJS.ErrnoException) => {
      throw new Error(e.code === 'ENOENT' ? `${bin} not found: install Debian's redis-server` : String(e));
    });
    if (!ok) {
      proc.kill('SIGKILL');
      if (opts.port) break;
      continue;
    }
    const exited = new Promise<void>((r) => (proc.exitCode !== null ? r() : proc.once('exit', () => r())));
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      proc,
      async stop() {
        if (proc.exitCode === null) proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      },
      async kill() {
        if (proc.exitCode === null) proc.kill('SIGKILL');
        await exited;
      },
    };
  }
  throw new Error('could not start redis-server on a free loopback port');
}
