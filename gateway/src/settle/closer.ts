import type { Logger } from 'pino';
import { addressOf, type Channel, type Deployment, type QlinkEvent, voucherRefusal } from '../../../protocol/src/index.js';
import { verifyP256 } from '../../../protocol/src/node/index.js';
import type { Account } from '../../../chain/src/neon.js';
import { call, closeArgs } from '../../../chain/src/scripts.js';
import type { RouterInfo, SettlementStore } from '../store/store.js';
import { txHeader, type SettleChain } from './chain.js';

/** What a close reports: once sent, then once in a block (or not within the wait). */
export type CloseAnswer =
  | { state: 'sent'; txid: string; amount: bigint }
  | { state: 'closed'; txid: string | null; cumulative: bigint; paid: bigint; refunded: bigint; already: boolean }
  | { state: 'faulted'; txid: string; exception: string | null }
  | { state: 'unconfirmed'; txid: string };

export type CloseOutcome =
  | { kind: 'answered' }
  | { kind: 'no-closer'; owner: string }
  | { kind: 'unknown-channel' }
  | { kind: 'refused'; reason: string }
  | { kind: 'busy'; txid: string };

export interface CloserOptions {
  deployment: Deployment;
  validForBlocks: number;
  /** How long an owner's answer (which of the closers it authorised, or none) is trusted. */
  ttlMs: number;
  clock?: () => number;
}

/** A gateway key that is an owner's: refused at start (an owner's payout wallet must not sit on the gateway). */
export function ownerKeyProblem(keys: Array<{ role: string; account: Account }>, routers: RouterInfo[]): string | null {
  for (const k of keys) {
    const hash = '0x' + k.account.scriptHash;
    const owned = routers.filter((r) => r.owner.toLowerCase() === hash);
    if (owned.length) {
      return (
        `${k.role} ${k.account.address} is the owner of router ${owned[0]!.address}${owned.length > 1 ? ` and ${owned.length - 1} more` : ''}: ` +
        "an owner's payout wallet must not sit on the gateway. Make the gateway a key of its own and let the owner authorise it with setCloser"
      );
    }
  }
  return null;
}

export interface CloseWatch {
  /** The execution once in a block, with the contract's events, or null if it is not in one within ms. */
  executed(txid: string, ms: number): Promise<{ vmstate: 'HALT' | 'FAULT'; exception: string | null; events: QlinkEvent[] } | null>;
}

/**
 * The cooperative close at a guest's log out, signed by a closer key the
 * channel's owner authorised (setCloser; close(id, amount, sig, by =
 * closer)): redeems the newest verified voucher the gateway holds (from any
 * router), checked again against the chain, and returns the rest of the
 * deposit to the guest at once. It goes through the settlement books like a
 * redeem: recorded as pending (one redeem item, so no round redeems the
 * channel meanwhile) before its bytes are sent, sent again by the settler
 * after a crash, settled on its application log. The contract closes a
 * channel once, so nothing is ever paid twice.
 */
export class ChannelCloser {
  /** Owner (0x hash, lowercase) → the closer it authorised (null: none of ours), and when the chain said so. */
  readonly #byOwner = new Map<string, { closer: Account | null; at: number }>();
  readonly #clock: () => number;

  constructor(
    private readonly store: SettlementStore,
    private readonly chain: SettleChain,
    private readonly watch: CloseWatch,
    /** The settler's lock: no round builds a transaction while a close does. */
    private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
    private readonly closers: Account[],
    private readonly opts: CloserOptions,
    private readonly log: Logger,
  ) {
    this.#clock = opts.clock ?? Date.now;
  }

  /** The closer accounts' addresses (never the keys). */
  get addresses(): string[] {
    return this.closers.map((a) => a.address);
  }

  /** The closer the owner authorised, asked of the chain (isCloser) when not known or stale; null when none of ours is. */
  async closerFor(owner: string): Promise<Account | null> {
    const key = owner.toLowerCase();
    const hit = this.#byOwner.get(key);
    if (hit && this.#clock() - hit.at < this.opts.ttlMs) return hit.closer;
    let closer: Account | null = null;
    for (const a of this.closers) {
      // An owner's own key is never used to close (ownerKeyProblem refuses it at start).
      if ('0x' + a.scriptHash === key) continue;
      if (await this.chain.isCloser(owner, '0x' + a.scriptHash)) {
        closer = a;
        break;
      }
    }
    this.#byOwner.set(key, { closer, at: this.#clock() });
    return closer;
  }

  /** Asks the chain again, for these owners, which closer each authorised; per closer address, the owners' addresses. */
  async refresh(owners: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(this.closers.map((a) => [a.address, []]));
    for (const o of new Set(owners.map((x) => x.toLowerCase()))) {
      this.#byOwner.delete(o);
      const c = await this.closerFor(o);
      if (c) out.get(c.address)!.push(addressOf(o.replace(/^0x/, '')));
    }
    return out;
  }

  /** waitMs bounds the whole: waiting for another transaction of the channel, then for this one's block. */
  async close(channelId: number, waitMs: number, reply: (a: CloseAnswer) => void): Promise<CloseOutcome> {
    const clock = this.#clock;
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

  async #send(
    channelId: number,
  ): Promise<
    | { kind: 'sent'; txid: string; raw: Buffer; amount: bigint }
    | { kind: 'closed'; channel: Channel }
    | { kind: 'pending'; txid: string }
    | { kind: 'no-closer'; owner: string }
    | { kind: 'unknown-channel' }
    | { kind: 'refused'; reason: string }
  > {
    const pending = await this.store.pendingFor(channelId);
    if (pending) return { kind: 'pending', txid: pending };
    const ch = await this.chain.channel(channelId);
    if (!ch) return { kind: 'unknown-channel' };
    if (ch.closed) return { kind: 'closed', channel: ch };
    const closer = await this.closerFor(ch.owner);
    if (!closer) return { kind: 'no-closer', owner: ch.owner };
    const newest = await this.store.newestVoucher(channelId);
    // A voucher no higher than what was redeemed adds nothing; the contract closes at the redeemed amount without a signature.
    const final = newest && BigInt(newest.amount) > ch.redeemed ? newest : null;
    if (final) {
      // Only verified vouchers are stored; checked again against the channel as it is now, so a close never faults on one.
      const why = voucherRefusal(
        ch,
        { channelId: BigInt(channelId), amount: BigInt(final.amount), signature: final.signature },
        null,
        this.opts.deployment,
        verifyP256,
      );
      if (why) {
        this.log.warn({ channelId, amount: final.amount, reason: why }, 'close refused: the newest voucher would not pay');
        return { kind: 'refused', reason: `the newest voucher would not pay: ${why}` };
      }
    }
    const amount = final ? BigInt(final.amount) : ch.redeemed;
    const by = '0x' + closer.scriptHash;
    const script = call(
      this.opts.deployment.contract,
      'close',
      closeArgs({ id: BigInt(channelId), amount, signature: Buffer.from(final?.signature ?? '', 'hex') }, by),
    );
    const built = await this.chain.build(script, this.opts.validForBlocks, [closer]);
    await this.store.addPending({
      txid: built.txid,
      kind: 'redeem',
      raw: built.raw.toString('hex'),
      validUntilBlock: built.validUntilBlock,
      items: [{ kind: 'redeem', channelId, amount: Number(amount), owner: ch.owner }],
      at: this.#clock(),
    });
    this.log.info({ txid: built.txid, channelId, amount: String(amount), closer: closer.address }, 'close tx recorded');
    await this.chain.relay(built.raw);
    this.log.info({ txid: built.txid, channelId }, 'close tx relayed');
    return { kind: 'sent', txid: built.txid, raw: built.raw, amount };
  }

  /** Settles the books itself too (the settler would on its next check): the log out is waiting for this answer. */
  async #follow(txid: string, raw: Buffer, waitMs: number, reply: (a: CloseAnswer) => void): Promise<void> {
    const ex = await this.watch.executed(txid, waitMs);
    if (!ex) return reply({ state: 'unconfirmed', txid });
    const h = txHeader(raw);
    await this.store.settle(txid, {
      status: ex.vmstate === 'HALT' ? 'confirmed' : 'faulted',
      vmstate: ex.vmstate,
      detail: ex.exception,
      gasFee: Number(h.systemFee + h.networkFee),
      at: this.#clock(),
    });
    const closed = ex.events.find((e) => e.name === 'ChannelClosed');
    if (ex.vmstate !== 'HALT' || !closed) return reply({ state: 'faulted', txid, exception: ex.exception });
    const p = closed.params as Record<string, bigint>;
    this.log.info({ txid, channelId: String(p.id), cumulative: String(p.cumulative), refunded: String(p.refunded) }, 'channel closed');
    reply({ state: 'closed', txid, cumulative: p.cumulative!, paid: p.paid!, refunded: p.refunded!, already: false });
  }
}
