import type { Logger } from 'pino';
import { roundOrder, roundRoot } from '../../../protocol/src/index.js';
import type { SettlementStore } from '../store/store.js';
import type { OpenRound } from '../store/types.js';
import type { SettleChain } from './chain.js';
import type { SettlementConfig } from './config.js';
import type { RoundPick } from './script.js';

type Limits = Pick<SettlementConfig, 'roundIntervalMs' | 'maxPendingBatches' | 'maxBatchesPerRound'>;

/**
 * The settler's rounds: one Merkle root over every batch stored since the
 * last round, across all routers (protocol/src/round.ts), anchored as
 * round head + 1 of this gateway's anchorer. A round is cut (its batches and
 * root written at once) before any transaction carries it, so a rebuilt
 * transaction after an expiry carries the same number and root; rounds reach
 * the chain in order, one at a time.
 */
export class RoundKeeper {
  /** Why rounds cannot go on (the chain holds a round these books did not anchor), or null. */
  #blocked: string | null = null;
  #reconciled = false;

  constructor(
    private readonly store: SettlementStore,
    private readonly chain: SettleChain,
    private readonly c: Limits,
    private readonly log: Logger,
  ) {}

  get anchorer(): string {
    return this.chain.payer;
  }

  get blocked(): string | null {
    return this.#blocked;
  }

  /** After the lead changes hands the chain is compared with the books again. */
  forget(): void {
    this.#reconciled = false;
  }

  /**
   * The round to anchor now: the oldest one cut and not yet anchored, or a
   * new one when batches wait and the round interval or threshold says so
   * (force: whenever batches wait). Null when there is none.
   */
  async next(now: number, force: boolean): Promise<RoundPick | null> {
    if (!this.#reconciled) await this.reconcile();
    if (this.#blocked) return null;
    const open = (await this.store.openRounds(this.anchorer))[0];
    if (open) return pick(open);
    const queue = await this.store.roundQueue(this.c.maxBatchesPerRound);
    if (!queue.length) return null;
    const last = await this.store.lastRound(this.anchorer);
    const due = force || now - (last?.createdAt ?? 0) >= this.c.roundIntervalMs || queue.length >= this.c.maxPendingBatches;
    if (!due) return null;
    const head = await this.chain.round(this.anchorer);
    const round = Math.max(Number(head.round), last?.round ?? 0) + 1;
    const batches = roundOrder(queue);
    const root = roundRoot(batches.map((b) => b.hash));
    await this.store.cutRound({ anchorer: this.anchorer, round, root, batches, at: now });
    this.log.info({ round, root, batches: batches.length, routers: new Set(batches.map((b) => b.router)).size }, 'settlement round cut');
    return { anchorer: this.anchorer, round, root };
  }

  /**
   * The books against the chain's getRound: a round the chain holds that the
   * books have not seen confirmed is settled from the log of the transaction
   * that carried it (sent before a crash, or given up on while the node was
   * behind); one no transaction of these books carried means another gateway
   * anchors with this key from other books, and rounds stop until an
   * operator sorts it out (redeems go on).
   */
  async reconcile(clock: () => number = Date.now): Promise<void> {
    const head = await this.chain.round(this.anchorer);
    const open = await this.store.openRounds(this.anchorer);
    this.#blocked = null;
    for (const r of open) {
      if (r.round > Number(head.round)) break;
      let found = false;
      for (const t of await this.store.roundTxs(this.anchorer, r.round)) {
        const ex = await this.chain.executed(t.txid);
        if (ex?.vmstate !== 'HALT') continue;
        const s = { status: 'confirmed' as const, vmstate: 'HALT', detail: null, gasFee: null, at: clock() };
        if (t.status === 'pending') await this.store.settle(t.txid, s);
        else await this.store.settleLate(t.txid, s);
        this.log.warn({ round: r.round, txid: t.txid, was: t.status }, 'round found on chain: settled from its log');
        found = true;
      }
      if (!found) {
        this.#blocked =
          `round ${r.round} is on chain (head ${head.round}) but no transaction of these books anchored it: ` +
          'another gateway anchors with the same settlement key from other books';
        this.log.error({ round: r.round, chainHead: String(head.round), anchorer: this.anchorer }, this.#blocked);
        break;
      }
    }
    const first = (await this.store.openRounds(this.anchorer))[0];
    if (!this.#blocked && first && first.round !== Number(head.round) + 1) {
      this.#blocked = `round ${first.round} waits for round ${first.round - 1}, but the chain's head is ${head.round}`;
      this.log.error({ round: first.round, chainHead: String(head.round) }, this.#blocked);
    }
    this.#reconciled = true;
  }
}

const pick = (r: OpenRound): RoundPick => ({ anchorer: r.anchorer, round: r.round, root: r.root });
