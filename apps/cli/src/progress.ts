// SPDX-License-Identifier: Apache-2.0
// The progress bar of long commands (simulate, calibrate, bench fleet): on stderr, on a terminal
// only, gone when done. cli-progress redraws inside update() (synchronousUpdate), so the bar moves
// during synchronous simulation work too, as long as the work reports its steps.

export interface Progress {
  /** `done` of `total` steps; `payload` fills the format's other {fields}. */
  update(done: number, total: number, payload?: Record<string, string>): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

/** A bar drawn with cli-progress's `format`, or one that draws nothing when `enabled` is false or stderr is no terminal. */
export async function progressBar(format: string, enabled: boolean): Promise<Progress> {
  if (!enabled || !process.stderr.isTTY) return SILENT;
  const { SingleBar } = await import('cli-progress');
  const bar = new SingleBar({ format, clearOnComplete: true, stream: process.stderr, etaBuffer: 50 });
  let started = false;
  return {
    update(done, total, payload = {}) {
      if (!started) {
        bar.start(total, done, payload);
        started = true;
        return;
      }
      bar.setTotal(total);
      bar.update(done, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
