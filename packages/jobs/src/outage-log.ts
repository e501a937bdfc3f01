// SPDX-License-Identifier: Apache-2.0
// A Redis outage is one line in the log, not a stack trace per reconnect attempt: every Redis
// client, BullMQ queue and worker of a process reports its errors here; the first error of an
// outage is logged (with the reason), the rest are counted, and one line says when Redis answers
// again. ioredis reconnects on its own with a growing delay (OUTAGE_RETRY below caps it), and
// BullMQ resumes its workers once their connections are back.

/** ioredis retryStrategy: 50 ms, 100 ms, ... growing to at most 2 s between reconnect attempts. */
export const OUTAGE_RETRY = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 6), 2000);

interface Emitter {
  on(event: string, fn: (...args: unknown[]) => void): unknown;
}

export class RedisOutageLog {
  private down = false;
  private since = 0;
  private errors = 0;

  constructor(
    private readonly where: string,
    private readonly log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  ) {}

  /** True between the first error of an outage and the next successful connection. */
  get isDown(): boolean {
    return this.down;
  }

  error(e: unknown): void {
    this.errors++;
    if (this.down) return;
    this.down = true;
    this.since = Date.now();
    const code = (e as { code?: string })?.code;
    const msg = e instanceof Error ? e.message : String(e);
    this.log(`warning: Redis at ${this.where} unreachable (${code ?? msg.split('\n')[0]}); retrying with backoff`);
  }

  ready(): void {
    if (!this.down) return;
    this.log(
      `Redis at ${this.where} reachable again after ${((Date.now() - this.since) / 1000).toFixed(1)} s (${this.errors} errors)`,
    );
    this.down = false;
    this.errors = 0;
  }

  /** Routes an ioredis client's (or a BullMQ queue's or worker's) error and ready events here. */
  watch(x: Emitter): void {
    x.on('error', (e) => this.error(e));
    x.on('ready', () => this.ready());
  }
}
