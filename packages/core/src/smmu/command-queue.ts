// SPDX-License-Identifier: Apache-2.0
// The SMMUv3 command queue (IHI 0070 G.b §3.5 "Command and Event queues", §4 "Commands"): a ring of
// 16-byte commands in memory with PROD (software) and CONS (SMMU) indexes that carry a wrap bit at
// LOG2SIZE. Linux's side is arm_smmu_cmdq_issue_cmdlist(): write the commands and, for a sync, a
// CMD_SYNC; move PROD; wait for the CMD_SYNC to complete — by polling its own first word, which the
// SMMU zeroes with an MSI write (ARM_SMMU_OPT_MSIPOLL), or by polling CONS past it (CS = SEV).
// arm_smmu_cmdq_batch_add() / _submit() gather up to CMDQ_BATCH_ENTRIES (64) commands per issue,
// with one CMD_SYNC per submitted batch.
//
// An illegal command stops the SMMU with CONS.ERR = CERROR_ILL and GERROR.CMDQ_ERR (§7.1); Linux's
// GERROR handler logs it and overwrites the command with a CMD_SYNC (__arm_smmu_cmdq_skip_err()),
// and the queue goes on. The model does the same, with the lines kept for the host's log.
//
// Model departure: the SMMU consumes commands the moment PROD moves, so a queue holds at most one
// batch and there is no concurrency between CPUs inside it; contention for the queue and the time
// commands take are the cost model's (invDescriptor, invProcess, invWait, under the unit's locks).

import { CoreError } from '../errors';
import type { PhysMemory } from '../memory/phys-memory';
import { HW_INV_DESCRIPTORS, HW_INV_WAITS, type HwCounters } from '../stats/hw-counters';
import { CMD_BYTES, cmdSync, wordsToCmd } from './commands';

/** Linux CMDQ_BATCH_ENTRIES (BITS_PER_LONG on arm64). */
export const CMDQ_BATCH_ENTRIES = 64;
/** CONS.ERR codes (§7.1, Linux CMDQ_ERR_CERROR_*). */
export const CERROR = { NONE: 0, ILL: 1, ABT: 2, ATC_INV_SYNC: 3 } as const;
const CERROR_STR = ['No error', 'Illegal command', 'Abort on command fetch', 'ATC invalidate timeout'];

/** The SMMU's handler for one command, read as four 32-bit words: a CERROR code (0 = done). */
export type CommandHandler = (words: Uint32Array) => number;

export class CommandQueue {
  readonly basePa: number;
  readonly entries: number;
  /** PROD and CONS, each an index with the wrap bit above it. */
  private prod = 0;
  private cons = 0;
  /** Commands written and CMD_SYNCs completed (the cost model's descriptors and waits). */
  commands = 0;
  syncs = 0;
  errors = 0;
  /** Lines Linux printed for command errors since the last takeLog(). */
  private log: string[] = [];

  constructor(
    private readonly mem: PhysMemory,
    readonly log2Entries: number,
    private readonly dev: string,
    private readonly execute: CommandHandler,
    /** ARM_SMMU_OPT_MSIPOLL: CMD_SYNC completion by an MSI into the command itself. */
    readonly msiPoll: boolean,
    /** The unit's counters: commands written (HW_INV_DESCRIPTORS) and CMD_SYNCs waited for (HW_INV_WAITS). */
    private readonly counters?: HwCounters,
  ) {
    if (log2Entries <= Math.log2(CMDQ_BATCH_ENTRIES)) {
      // arm_smmu_init_queues(): "command queue size <= %d entries not supported".
      throw new CoreError('UNSUPPORTED', `${dev}: command queue size <= ${CMDQ_BATCH_ENTRIES} entries not supported`, {
        log2Entries,
      });
    }
    this.entries = 2 ** log2Entries;
    this.basePa = mem.allocTableBlock(Math.max(1, (this.entries * CMD_BYTES) / 4096));
  }

  /** SMMU_CMDQ_PROD / CONS as software reads them (CONS with ERR in bits 30:24 after an error). */
  get prodReg(): number {
    return this.prod;
  }
  get consReg(): number {
    return this.cons;
  }

  /** arm_smmu_cmdq_issue_cmdlist(): `cmds` then, when `sync`, a CMD_SYNC, waited for. */
  issueCmdlist(cmds: readonly bigint[], sync: boolean): void {
    const n = cmds.length + (sync ? 1 : 0);
    if (n > this.entries - 1)
      throw new CoreError('LIMIT_EXCEEDED', `${this.dev}: ${n} commands do not fit a ${this.entries}-entry queue`, {
        n,
      });
    for (let i = 0; i < cmds.length; i++) this.writeEntry(this.prod + i, cmds[i]!);
    let syncAddr = -1;
    if (sync) {
      syncAddr = this.slotAddr(this.prod + cmds.length);
      this.writeEntry(this.prod + cmds.length, cmdSync(this.msiPoll ? syncAddr : 0));
    }
    const target = (this.prod + n) % (2 * this.entries);
    this.prod = target; // writel_relaxed(prod, cmdq->q.prod_reg)
    this.consume();
    this.commands += n;
    if (this.counters !== undefined) {
      this.counters.c[HW_INV_DESCRIPTORS]! += n;
      if (sync) this.counters.c[HW_INV_WAITS]!++;
    }
    if (!sync) return;
    // arm_smmu_cmdq_poll_until_sync(): the MSI zeroed the CMD_SYNC's first word, or CONS passed it.
    const done = this.msiPoll ? this.mem.readU32(syncAddr) === 0 : this.cons === target;
    if (!done) {
      throw new CoreError(
        'INVALID_STATE',
        `${this.dev}: CMD_SYNC timeout at 0x${target.toString(16).padStart(8, '0')}`,
        {
          prod: this.prod,
          cons: this.cons,
        },
      );
    }
    this.syncs++;
  }

  /** Lines logged for command errors (GERROR) since the last call. */
  takeLog(): string[] {
    const l = this.log;
    this.log = [];
    return l;
  }

  private slotAddr(index: number): number {
    return this.basePa + (index % this.entries) * CMD_BYTES;
  }

  private writeEntry(index: number, cmd: bigint): void {
    const pa = this.slotAddr(index);
    for (let i = 0; i < 4; i++) this.mem.writeU32(pa + 4 * i, Number((cmd >> BigInt(32 * i)) & 0xffff_ffffn));
  }

  /** The SMMU: executes commands from CONS up to PROD; an error stops it until Linux skips the command. */
  private consume(): void {
    const w = this.words;
    while (this.cons !== this.prod) {
      const pa = this.slotAddr(this.cons);
      for (let i = 0; i < 4; i++) w[i] = this.mem.readU32(pa + 4 * i);
      const err = this.execute(w);
      if (err !== CERROR.NONE) {
        this.skipErr(wordsToCmd(w), err);
        continue; // the command is now a CMD_SYNC: execute it in its place
      }
      this.cons = (this.cons + 1) % (2 * this.entries);
    }
  }

  /** The command the SMMU is reading (reused: consumption does not allocate per command). */
  private readonly words = new Uint32Array(4);

  /** arm_smmu_gerror_handler() + __arm_smmu_cmdq_skip_err(). */
  private skipErr(cmd: bigint, err: number): void {
    this.errors++;
    const p = `arm-smmu-v3 ${this.dev}: `;
    const consReg = ((err << 24) | this.cons) >>> 0;
    this.log.push(`${p}unexpected global error reported (0x00000001), this could be serious`);
    this.log.push(`${p}CMDQ error (cons 0x${consReg.toString(16).padStart(8, '0')}): ${CERROR_STR[err] ?? 'Unknown'}`);
    this.log.push(`${p}skipping command in error state:`);
    for (const w of [cmd & 0xffff_ffff_ffff_ffffn, cmd >> 64n])
      this.log.push(`${p}\t0x${w.toString(16).padStart(16, '0')}`);
    this.writeEntry(this.cons, cmdSync(0));
  }
}

/** Linux struct arm_smmu_cmdq_batch: gathers commands, issuing every CMDQ_BATCH_ENTRIES without a sync. */
export class CmdqBatch {
  private readonly cmds: bigint[] = [];

  constructor(
    private readonly q: CommandQueue,
    /** ARM_SMMU_OPT_CMDQ_FORCE_SYNC: a platform that needs a sync in every batch (issued at 63). */
    private readonly forceSync = false,
  ) {}

  /** arm_smmu_cmdq_batch_add() */
  add(cmd: bigint): void {
    if (this.forceSync && this.cmds.length === CMDQ_BATCH_ENTRIES - 1) this.flush(true);
    if (this.cmds.length === CMDQ_BATCH_ENTRIES) this.flush(false);
    this.cmds.push(cmd);
  }

  /** arm_smmu_cmdq_batch_submit(): what is gathered plus a CMD_SYNC (a lone CMD_SYNC when empty). */
  submit(): void {
    this.flush(true);
  }

  private flush(sync: boolean): void {
    this.q.issueCmdlist(this.cmds, sync);
    this.cmds.length = 0;
  }
}
