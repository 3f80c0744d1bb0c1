import type { Logger } from 'pino';
import type { QlinkEvent } from '../chain/events.js';
import type { Account } from '../chain/neon.js';
import type { Channel } from '../chain/records.js';
import { bytesParam, call, intParam } from '../chain/scripts.js';
import type { GatewayStore } from '../store/store.js';
import { txHeader, type SettleChain } from './chain.js';

/** What a close reports: once sent, then once in a block (or not within the wait). */
export type CloseAnswer =
  | { state: 'sent'; txid: string; amount: bigint }
  | { state: 'closed'; txid: string | null; cumulative: bigint; paid: bigint; refunded: bigint; already: boolean }
  | { state: 'faulted'; txid: string; exception: string | null }
  | { state: 'unconfirmed'; txid: string };

export type CloseOutcome =
  | { kind: 'answered' }
  | { kind: 'no-owner-key'; owner: string }
  | { kind: 'unknown-channel' }
  | { kind: 'busy'; txid: string };

export interface CloseWatch {
  /** The execution once in a block, with the contract's events, or null if it is not in one within ms. */
  executed(txid: string, ms: number): Promise<{ vmstate: 'HALT' | 'FAULT'; exception: string | null; events: QlinkEvent[] } | null>;
}

/**
 * The owner's cooperative close at a guest's log out: redeems the newest
 * voucher the gateway holds (from any router) and returns the rest of the
 * deposit to the guest at once. It goes through the settlement books like a
 * redeem: recorded as pending (one redeem item, so no round redeems the
 * channel meanwhile) before its bytes are sent, sent again by the settler
 * after a crash, settled on its application log. The contract closes a
 * channel once, so nothing is ever paid twice.
 */
export class ChannelCloser {
  readonly #owners = new Map<string, Account>();

  constructor(
    private readonly store: GatewayStore,
    private readonly chain: SettleChain,
    private readonly watch: CloseWatch,
    /** The settler's lock: no round builds a transaction while a close does. */
    private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
    owners: Account[],
    private readonly opts: { contract: string; validForBlocks: number; clock?: () => number },
    private readonly log: Logger,
  ) {
    for (const a of owners) this.#owners.set(`0x${a.scriptHash}`.toLowerCase(), a);
  }

  /** Owner addresses whose channels this gateway can close (never the keys). */
  get owners(): string[] {
    return [...this.#owners.values()].map((a) => a.address);
  }

  canClose(owner: string): boolean {
    return this.#owners.has(owner.toLowerCase());
  }

  /** waitMs bounds the whole: waiting for another transaction of the channel, then for this one's block. */
  async close(channelId: number, waitMs: number, reply: (a: CloseAnswer) => void): Promise<CloseOutcome> {
    const clock = this.opts.clock ?? Date.now;
    const deadline = clock() + waitMs;
    for (;;) {
      const step = await this.exclusive(() => this.#send(channelId));
      if (step.kind === 'sent') {
        reply({ state: 'sent', txid: step.txid, amount: step.amount });
        await this.#follow(step.txid, step.raw, Math.max(0, deadline - clock()), reply);
        return { kind: 'answered' };
      }
      if (step.kind === 'closed') {
        const c = step.channel;
        reply({ state: 'closed', txid: null, cumulative: c.redeemed, paid: 0n, refunded: c.deposit - c.redeemed, already: true });
        return { kind: 'answered' };
      }
      if (step.kind !== 'pending') return step;
      // A redeem (or an earlier close) of this channel is on its way: wait for its block, then look again.
      if (clock() >= deadline) return { kind: 'busy', txid: step.txid };
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  async #send(channelId: number): Promise<
    | { kind: 'sent'; txid: string; raw: Buffer; amount: bigint } | { kind: 'closed'; channel: Channel }
    | { kind: 'pending'; txid: string } | { kind: 'no-owner-key'; owner: string } | { kind: 'unknown-channel' }> {
    const pending = await this.store.pendingFor(channelId);
    if (pending) return { kind: 'pending', txid: pending };
    const ch = await this.chain.channel(channelId);
    if (!ch) return { kind: 'unknown-channel' };
    if (ch.closed) return { kind: 'closed', channel: ch };
    const owner = this.#owners.get(ch.owner.toLowerCase());
    if (!owner) return { kind: 'no-owner-key', owner: ch.owner };
    const newest = await this.store.newestVoucher(channelId);
    // A voucher no higher than what was redeemed adds nothing; the contract closes at the redeemed amount without a signature.
    const final = newest && BigInt(newest.amount) > ch.redeemed ? newest : null;
    const amount = final ? BigInt(final.amount) : ch.redeemed;
    const script = call(this.opts.contract, 'close', [intParam(channelId), intParam(amount), bytesParam(final?.signature ?? '')]);
    const built = await this.chain.build(script, this.opts.validForBlocks, [owner]);
    await this.store.addPending({ txid: built.txid, kind: 'redeem', raw: built.raw.toString('hex'), validUntilBlock: built.validUntilBlock,
      items: [{ kind: 'redeem', channelId, amount: Number(amount), owner: ch.owner }], at: (this.opts.clock ?? Date.now)() });
    this.log.info({ txid: built.txid, channelId, amount: String(amount), owner: owner.address }, 'close tx recorded');
    await this.chain.relay(built.raw);
    this.log.info({ txid: built.txid, channelId }, 'close tx relayed');
    return { kind: 'sent', txid: built.txid, raw: built.raw, amount };
  }

  /** Settles the books itself too (the settler would on its next check): the log out is waiting for this answer. */
  async #follow(txid: string, raw: Buffer, waitMs: number, reply: (a: CloseAnswer) => void): Promise<void> {
    const ex = await this.watch.executed(txid, waitMs);
    if (!ex) return reply({ state: 'unconfirmed', txid });
    const h = txHeader(raw);
    await this.store.settle(txid, { status: ex.vmstate === 'HALT' ? 'confirmed' : 'faulted', vmstate: ex.vmstate, detail: ex.exception,
      gasFee: Number(h.systemFee + h.networkFee), at: (this.opts.clock ?? Date.now)() });
    const closed = ex.events.find((e) => e.name === 'ChannelClosed');
    if (ex.vmstate !== 'HALT' || !closed) return reply({ state: 'faulted', txid, exception: ex.exception });
    const p = closed.params as Record<string, bigint>;
    this.log.info({ txid, channelId: String(p.id), cumulative: String(p.cumulative), refunded: String(p.refunded) }, 'channel closed');
    reply({ state: 'closed', txid, cumulative: p.cumulative!, paid: p.paid!, refunded: p.refunded!, already: false });
  }
}
