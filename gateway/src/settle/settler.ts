import type { Logger } from 'pino';
import type { Deployment } from '../../../protocol/src/index.js';
import type { SettlementStore, SettlerLock } from '../store/store.js';
import type { BuiltTx, SettleChain } from './chain.js';
import type { SettlementConfig } from './config.js';
import { checkPending } from './pending.js';
import { RoundKeeper } from './rounds.js';
import { settlementScript, txItems, type RoundPick, type VoucherPick } from './script.js';
import { redeemable } from './select.js';

export type TickResult =
  | { kind: 'waiting'; pending: number }
  | { kind: 'idle' }
  | { kind: 'follower' }
  | { kind: 'down'; error: string }
  | { kind: 'sent'; txid: string; vouchers: number; round: number | null; size: number };

export interface SettlerOptions {
  clock?: () => number;
  /** Who settles among gateways sharing the books; absent: this one always does. */
  lock?: SettlerLock;
}

type Limits = Pick<
  SettlementConfig,
  'intervalMs' | 'maxPendingVouchers' | 'roundIntervalMs' | 'maxPendingBatches' | 'maxBatchesPerRound' | 'maxChannelsPerTx' | 'checkMs' | 'validForBlocks'
>;

const ALWAYS: SettlerLock = { lead: async () => true, release: async () => undefined };

/**
 * One settlement transaction in flight at a time: rounds must reach the
 * chain in order, and a newer voucher must not race an older one. Vouchers
 * are redeemed on their own cadence (intervalMs) and ride along whenever a
 * round is anchored; a round's anchorRound goes in the same transaction as
 * the redeems when both are due. Only the gateway holding the lead settles.
 */
export class Settler {
  readonly #relayed = new Set<string>();
  /** Vouchers the contract would refuse, left out until restart (and logged) so they cannot block the rest. */
  readonly #skip = new Set<string>();
  readonly #rounds: RoundKeeper;
  readonly #lock: SettlerLock;
  #lastRedeem = 0;
  #down = false;
  #leading = false;
  #busy: Promise<TickResult> | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #clock: () => number;

  constructor(
    private readonly store: SettlementStore,
    private readonly chain: SettleChain,
    private readonly domain: Deployment,
    private readonly c: Limits,
    private readonly log: Logger,
    o: SettlerOptions = {},
  ) {
    this.#clock = o.clock ?? Date.now;
    this.#lock = o.lock ?? ALWAYS;
    this.#rounds = new RoundKeeper(store, chain, c, log);
  }

  /** The account (0x script hash) that pays and anchors this gateway's rounds. */
  get anchorer(): string {
    return this.chain.payer;
  }

  start(): void {
    const loop = async () => {
      await this.tick();
      if (!this.#stopped) this.#timer = setTimeout(loop, this.c.checkMs);
    };
    this.#timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#busy) await this.#busy.catch(() => undefined);
    await this.#lock.release();
  }

  /** Checks pending transactions, then settles if due (force: regardless of schedule and thresholds). */
  tick(force = false): Promise<TickResult> {
    if (this.#busy) return this.#busy;
    this.#busy = this.exclusive(() => this.#tick(force)).finally(() => {
      this.#busy = null;
    });
    return this.#busy;
  }

  /**
   * Runs fn while no round builds or sends a transaction, and no round
   * starts until it is done: a cooperative close (ChannelCloser) must not
   * race a redeem of the same channel.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #tick(force: boolean): Promise<TickResult> {
    if (!(await this.#lock.lead())) {
      if (this.#leading) this.log.warn('settlement lead lost: another gateway settles');
      this.#leading = false;
      return { kind: 'follower' };
    }
    if (!this.#leading) {
      this.log.info({ anchorer: this.anchorer }, 'settlement lead taken');
      this.#leading = true;
      // What another leader left pending is sent again once, and the rounds compared with the chain.
      this.#relayed.clear();
      this.#rounds.forget();
    }
    try {
      const pending = await checkPending(this.store, this.chain, this.#relayed, this.log, this.#clock);
      if (this.#down) this.log.info('chain reachable again; settlement resumes');
      this.#down = false;
      if (pending > 0) return { kind: 'waiting', pending };
      return await this.#settle(force);
    } catch (e) {
      const error = (e as Error).message;
      // Ingest does not depend on this: batches keep being stored and settle once the chain answers.
      if (!this.#down) this.log.warn({ err: error }, 'chain unreachable or refusing; settlement waits');
      this.#down = true;
      return { kind: 'down', error };
    }
  }

  async #settle(force: boolean): Promise<TickResult> {
    const c = this.c;
    const now = this.#clock();
    const round = await this.#rounds.next(now, force);
    const vs = (await this.store.vouchersToRedeem(Math.max(c.maxChannelsPerTx, c.maxPendingVouchers) + this.#skip.size)).filter(
      (v) => !this.#skip.has(`${v.channelId}:${v.amount}`),
    );
    const redeemDue = vs.length > 0 && (force || now - this.#lastRedeem >= c.intervalMs || vs.length >= c.maxPendingVouchers);
    if (!round && !redeemDue) return { kind: 'idle' };

    let vouchers: VoucherPick[] = [];
    if (vs.length) {
      const r = await redeemable(this.chain, this.domain, vs.slice(0, c.maxChannelsPerTx));
      for (const x of r.refused) this.#refuse(x.item.channelId, x.item.amount, x.reason);
      vouchers = r.ok;
    }
    const picked = await this.#isolate(vouchers, round);
    if (!picked.vouchers.length && !picked.round) return { kind: 'idle' };
    if (picked.vouchers.length) this.#lastRedeem = now;
    const built = await this.chain.build(settlementScript(this.domain.contract, picked.vouchers, picked.round), c.validForBlocks);
    await this.#record(built, picked.vouchers, picked.round, now);
    return { kind: 'sent', txid: built.txid, vouchers: picked.vouchers.length, round: picked.round?.round ?? null, size: built.size };
  }

  /** Written before a byte is sent; whatever happens after, a restart finds the same bytes and sends only those. */
  async #record(built: BuiltTx, vouchers: VoucherPick[], round: RoundPick | null, now: number): Promise<void> {
    await this.store.addPending({
      txid: built.txid,
      kind: vouchers.length ? 'redeem' : 'anchor',
      raw: built.raw.toString('hex'),
      validUntilBlock: built.validUntilBlock,
      items: txItems(vouchers),
      round: round ? { anchorer: round.anchorer, round: round.round } : undefined,
      at: now,
    });
    this.log.info(
      {
        txid: built.txid,
        vouchers: vouchers.length,
        round: round?.round ?? null,
        root: round?.root,
        size: built.size,
        systemFee: String(built.systemFee),
        networkFee: String(built.networkFee),
        validUntilBlock: built.validUntilBlock,
      },
      'settlement tx recorded',
    );
    await this.chain.relay(built.raw);
    this.#relayed.add(built.txid);
    this.log.info({ txid: built.txid }, 'settlement tx relayed');
  }

  /**
   * The test invocation is all or nothing; when the whole faults, find what
   * faults on its own (the vouchers, one by one; the round's anchor) and
   * leave only that out. An anchor that faults means the chain's rounds are
   * not what the books say: they are compared again.
   */
  async #isolate(vouchers: VoucherPick[], round: RoundPick | null): Promise<{ vouchers: VoucherPick[]; round: RoundPick | null }> {
    const script = (v: VoucherPick[], r: RoundPick | null) => settlementScript(this.domain.contract, v, r);
    if ((!vouchers.length && !round) || (await this.chain.test(script(vouchers, round))) === null) return { vouchers, round };
    const okV: VoucherPick[] = [];
    if (vouchers.length && (await this.chain.test(script(vouchers, null))) !== null) {
      for (const v of vouchers) {
        const ex = await this.chain.test(script([v], null));
        if (ex === null) okV.push(v);
        else this.#refuse(v.channelId, v.amount, ex);
      }
    } else okV.push(...vouchers);
    let okR = round;
    const ex = round ? await this.chain.test(script([], round)) : null;
    if (round && ex !== null) {
      this.log.warn({ round: round.round, reason: ex }, 'round anchor refused by a test invocation; comparing the books with the chain');
      await this.#rounds.reconcile(this.#clock);
      okR = null;
    }
    return { vouchers: okV, round: okR };
  }

  #refuse(channelId: number, amount: number, reason: string): void {
    const key = `${channelId}:${amount}`;
    if (this.#skip.has(key)) return;
    this.#skip.add(key);
    this.log.warn({ channelId, amount, reason }, 'left out of settlement: the contract would refuse it');
  }
}
