import type { Logger } from 'pino';
import type { Domain } from '../chain/messages.js';
import type { GatewayStore } from '../store/store.js';
import type { BuiltTx, SettleChain } from './chain.js';
import type { SettlementConfig } from './config.js';
import { checkPending } from './pending.js';
import { settlementScript, txItems, type AnchorPick, type VoucherPick } from './script.js';
import { anchorable, redeemable } from './select.js';

export type TickResult =
  | { kind: 'waiting'; pending: number }
  | { kind: 'idle' }
  | { kind: 'down'; error: string }
  | { kind: 'sent'; txid: string; vouchers: number; anchors: number; size: number };

export interface SettlerOptions {
  clock?: () => number;
  /** Test hook: stop for good right after the first relay, so a test can kill -9 between send and confirmation. */
  pauseAfterRelay?: boolean;
}

type Limits = Pick<SettlementConfig, 'intervalMs' | 'maxPendingVouchers' | 'maxPendingBatches' | 'maxChannelsPerTx' | 'maxAnchorsPerTx' | 'checkMs' | 'validForBlocks'>;

/**
 * One settlement transaction in flight at a time: anchors must reach the
 * chain in sequence, and a newer voucher must not race an older one.
 */
export class Settler {
  readonly #relayed = new Set<string>();
  /** Items the contract would refuse, left out until restart (and logged) so they cannot block the rest. */
  readonly #skip = new Set<string>();
  #last = 0;
  #down = false;
  #busy: Promise<TickResult> | null = null;
  #lock: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #clock: () => number;

  constructor(private readonly store: GatewayStore, private readonly chain: SettleChain, private readonly domain: Domain,
    private readonly c: Limits, private readonly log: Logger, private readonly o: SettlerOptions = {}) {
    this.#clock = o.clock ?? Date.now;
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
    if (this.#busy && !this.o.pauseAfterRelay) await this.#busy.catch(() => undefined);
  }

  /** Checks pending transactions, then settles if due (force: regardless of schedule and thresholds). */
  tick(force = false): Promise<TickResult> {
    if (this.#busy) return this.#busy;
    this.#busy = this.exclusive(() => this.#tick(force)).finally(() => { this.#busy = null; });
    return this.#busy;
  }

  /**
   * Runs fn while no round builds or sends a transaction, and no round
   * starts until it is done: a cooperative close (ChannelCloser) must not
   * race a redeem of the same channel.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async #tick(force: boolean): Promise<TickResult> {
    try {
      const pending = await checkPending(this.store, this.chain, this.#relayed, this.log, this.#clock);
      if (this.#down) this.log.info('chain reachable again; settlement resumes');
      this.#down = false;
      if (pending > 0) return { kind: 'waiting', pending };
      return await this.#round(force);
    } catch (e) {
      const error = (e as Error).message;
      // Ingest does not depend on this: batches keep being stored and settle once the chain answers.
      if (!this.#down) this.log.warn({ err: error }, 'chain unreachable or refusing; settlement waits');
      this.#down = true;
      return { kind: 'down', error };
    }
  }

  async #round(force: boolean): Promise<TickResult> {
    const c = this.c;
    const vs = (await this.store.vouchersToRedeem(Math.max(c.maxChannelsPerTx, c.maxPendingVouchers) + this.#skip.size))
      .filter((v) => !this.#skip.has(`v:${v.channelId}:${v.amount}`));
    const bs = c.maxAnchorsPerTx === 0 ? [] : (await this.store.batchesToAnchor(Math.max(c.maxAnchorsPerTx, c.maxPendingBatches) + this.#skip.size))
      .filter((b) => !this.#skip.has(`b:${b.router}:${b.seq}`));
    const now = this.#clock();
    const owed = vs.length > 0 || bs.length > 0;
    const due = owed && (force || now - this.#last >= c.intervalMs || vs.length >= c.maxPendingVouchers || bs.length >= c.maxPendingBatches);
    if (!due) return { kind: 'idle' };
    this.#last = now;

    const r = await redeemable(this.chain, this.domain, vs.slice(0, c.maxChannelsPerTx));
    for (const x of r.refused) this.#refuse(`v:${x.item.channelId}:${x.item.amount}`, { channelId: x.item.channelId, amount: x.item.amount }, x.reason);
    const a = await anchorable(this.chain, bs);
    for (const x of a.refused) this.#refuse(`b:${x.item.router}:${x.item.seq}`, { router: x.item.router, seq: x.item.seq }, x.reason);
    const picked = await this.#isolate(r.ok, a.groups);
    const anchors = picked.anchors.slice(0, c.maxAnchorsPerTx);
    if (!picked.vouchers.length && !anchors.length) return { kind: 'idle' };

    const built = await this.chain.build(settlementScript(this.domain.contract, picked.vouchers, anchors), c.validForBlocks);
    await this.#record(built, picked.vouchers, anchors, now);
    return { kind: 'sent', txid: built.txid, vouchers: picked.vouchers.length, anchors: anchors.length, size: built.size };
  }

  /** Written before a byte is sent; whatever happens after, a restart finds the same bytes and sends only those. */
  async #record(built: BuiltTx, vouchers: VoucherPick[], anchors: AnchorPick[], now: number): Promise<void> {
    await this.store.addPending({ txid: built.txid, kind: vouchers.length ? 'redeem' : 'anchor', raw: built.raw.toString('hex'),
      validUntilBlock: built.validUntilBlock, items: txItems(vouchers, anchors), at: now });
    this.log.info({ txid: built.txid, vouchers: vouchers.length, anchors: anchors.length, size: built.size,
      systemFee: String(built.systemFee), networkFee: String(built.networkFee), validUntilBlock: built.validUntilBlock }, 'settlement tx recorded');
    await this.chain.relay(built.raw);
    this.#relayed.add(built.txid);
    this.log.info({ txid: built.txid }, 'settlement tx relayed');
    if (this.o.pauseAfterRelay) {
      this.log.warn({ txid: built.txid }, 'test hook: paused after relay');
      await new Promise(() => undefined);
    }
  }

  /**
   * The test invocation is all or nothing; when the whole faults, find what
   * faults on its own (the vouchers, one by one; each router's run of
   * anchors) and leave only that out.
   */
  async #isolate(vouchers: VoucherPick[], groups: AnchorPick[][]): Promise<{ vouchers: VoucherPick[]; anchors: AnchorPick[] }> {
    const all = { vouchers, anchors: groups.flat() };
    const script = (v: VoucherPick[], a: AnchorPick[]) => settlementScript(this.domain.contract, v, a);
    if (!all.vouchers.length && !all.anchors.length) return all;
    if ((await this.chain.test(script(all.vouchers, all.anchors))) === null) return all;
    const okV: VoucherPick[] = [];
    if (vouchers.length && (await this.chain.test(script(vouchers, []))) !== null) {
      for (const v of vouchers) {
        const ex = await this.chain.test(script([v], []));
        if (ex === null) okV.push(v);
        else this.#refuse(`v:${v.channelId}:${v.amount}`, { channelId: v.channelId, amount: v.amount }, ex);
      }
    } else okV.push(...vouchers);
    const okA: AnchorPick[] = [];
    for (const g of groups) {
      const ex = await this.chain.test(script([], g));
      if (ex === null) okA.push(...g);
      else for (const b of g) this.#refuse(`b:${b.router}:${b.seq}`, { router: b.router, seq: b.seq }, ex);
    }
    return { vouchers: okV, anchors: okA };
  }

  #refuse(key: string, item: object, reason: string): void {
    if (this.#skip.has(key)) return;
    this.#skip.add(key);
    this.log.warn({ ...item, reason }, 'left out of settlement: the contract would refuse it');
  }
}
