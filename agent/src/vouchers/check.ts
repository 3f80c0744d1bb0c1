import { type Deployment, signedByChannel } from '../../../protocol/src/index.js';
import { verifyP256 } from '../../../protocol/src/node/index.js';
import type { ChannelInfo, ChannelSource } from './channel-source.js';
import { KnownKeys } from './known-keys.js';
import type { HeldVoucher, VoucherStore } from './store.js';

export interface VoucherClaim {
  channelId: bigint;
  /** Cumulative: everything the guest has agreed to pay on this channel so far. */
  amount: bigint;
  /** r‖s, 64 bytes as hex. */
  signature: string;
  /** Optional: a page that states its deployment is refused by name when it differs, not just by signature. */
  networkMagic?: number;
  contract?: string;
}

export type Refusal =
  | 'unknown-channel'
  | 'unconfirmed-channel'
  | 'channel-closed'
  | 'channel-expiring'
  | 'other-router'
  | 'other-network'
  | 'other-channel'
  | 'bad-signature'
  | 'not-above-newest'
  | 'over-deposit'
  | 'below-cost'
  /** The channel pays for another device's session here: only a resume signed by the channel's voucher key moves it. */
  | 'other-device';

export type CheckResult =
  | { ok: true; voucher: HeldVoucher; channel: ChannelInfo }
  /** minimum: the lowest amount that would pass this check, where there is one (so a page can sign it at once). */
  | { ok: false; reason: Refusal; detail: string; minimum?: bigint };

export interface CheckerOptions {
  deployment: Deployment;
  /** This router's compressed public key. */
  routerKey: string;
  /**
   * Optional pin of the owner (0x script hash, portal.owner): the chain's
   * registration of this router is what counts, and a chain that names
   * another owner turns paying off rather than serve it.
   */
  owner?: string;
  /** A channel this close to expiry buys nothing more: the owner needs time to redeem. */
  expiryMarginMs: number;
  /** How often a channel's key is read again when a voucher fails against the one known (known-keys.ts); default 30 s. */
  keyRecheckMs?: number;
}

export interface CheckContext {
  /** The channel the guest's session is bound to; null before its first voucher. */
  sessionChannel: bigint | null;
  sessionId: number | null;
  /** What the session has cost so far, in the token's smallest unit. */
  meteredCost: bigint;
  now: number;
}

/**
 * The checks of design.md "Vouchers", cheapest first, and the store write
 * last: a voucher is stored (strictly above the newest, atomically) before
 * the caller may grant anything for it. The signature is checked against the
 * channel's key known from an earlier read before the look-up (which may
 * cost an RPC), and again against the key just read.
 */
export class VoucherChecker {
  readonly #keys: KnownKeys;

  constructor(
    private readonly opts: CheckerOptions,
    private readonly source: ChannelSource,
    private readonly store: VoucherStore,
  ) {
    this.#keys = new KnownKeys(opts.keyRecheckMs ?? 30_000);
  }

  async check(v: VoucherClaim, ctx: CheckContext): Promise<CheckResult> {
    const no = (reason: Refusal, detail: string, minimum?: bigint): CheckResult => ({
      ok: false,
      reason,
      detail,
      ...(minimum === undefined ? {} : { minimum }),
    });
    const d = this.opts.deployment;
    if (v.networkMagic !== undefined && v.networkMagic !== d.networkMagic)
      return no('other-network', `voucher for network ${v.networkMagic}, this is ${d.networkMagic}`);
    if (v.contract !== undefined && v.contract.toLowerCase() !== d.contract.toLowerCase()) return no('other-network', 'voucher for another contract');
    if (ctx.sessionChannel !== null && ctx.sessionChannel !== v.channelId) return no('other-channel', `session is paid by channel ${ctx.sessionChannel}`);
    if (v.channelId <= 0n || v.amount < 0n || v.amount >= 1n << 63n) return no('bad-signature', 'channel id or amount out of range');
    const held = this.store.newest(v.channelId);
    if (held && v.amount <= held.amount) return no('not-above-newest', `newest held is ${held.amount}`, held.amount + 1n);
    const forged = "not signed by the channel's voucher key for this network, contract, channel and amount";
    if (this.#keys.precheck(v.channelId, (key) => signedByChannel(d, v, key, verifyP256), ctx.now) === 'forged') return no('bad-signature', forged);
    const c = await this.source.channel(v.channelId);
    if (!c) return no('unknown-channel', 'the chain knows no such channel (yet)');
    this.#keys.note(c.id, c.voucherKey);
    if (!c.confirmed) return no('unconfirmed-channel', 'the channel is not in a block yet');
    if (c.closed) return no('channel-closed', 'the channel is closed');
    if (c.expiry - BigInt(this.opts.expiryMarginMs) <= (await this.source.now())) return no('channel-expiring', 'the channel has expired or is about to');
    // Channels opened at any of the owner's routers are served (roaming): what counts is whom the channel pays.
    const owner = await this.source.routerOwner();
    if (!owner) return no('other-router', 'this router is not registered on chain (or retired): it takes no vouchers');
    if (this.opts.owner !== undefined && owner.toLowerCase() !== this.opts.owner.toLowerCase()) {
      return no('other-router', `the chain registers this router to ${owner}, not to the configured owner ${this.opts.owner}`);
    }
    if (c.owner.toLowerCase() !== owner.toLowerCase()) return no('other-router', "the channel pays another router's owner");
    if (v.amount > c.deposit) return no('over-deposit', `deposit is ${c.deposit}`);
    // Roaming: another of the owner's routers took a voucher this one has not seen. Only the rise above it buys service here.
    const elsewhere = this.#elsewhere(c, held?.amount ?? 0n);
    if (elsewhere !== null && v.amount <= elsewhere && elsewhere >= c.redeemed) {
      return no('not-above-newest', `the gateway holds ${elsewhere}: another router served this channel`, elsewhere + 1n);
    }
    if (v.amount <= c.redeemed) return no('not-above-newest', `already redeemed ${c.redeemed}`, c.redeemed + 1n);
    const cost = ctx.meteredCost + (elsewhere === null ? 0n : elsewhere - (held?.amount ?? 0n));
    if (v.amount < cost) return no('below-cost', `service so far cost ${cost}`, cost);
    if (!signedByChannel(d, v, c.voucherKey, verifyP256)) return no('bad-signature', forged);
    const voucher: HeldVoucher = { channelId: v.channelId, amount: v.amount, signature: v.signature.toLowerCase(), sessionId: ctx.sessionId, at: ctx.now };
    // Another request may have stored a higher one since the read above.
    if (!this.store.raise(voucher, elsewhere ?? undefined)) return no('not-above-newest', 'a voucher as high or higher arrived first');
    return { ok: true, voucher, channel: c };
  }

  /** The gateway's newest voucher when it is above what this router holds (and really the guest's); else null. */
  #elsewhere(c: ChannelInfo, held: bigint): bigint | null {
    const n = c.newest;
    if (!n || n.amount <= held || n.amount > c.deposit) return null;
    return signedByChannel(this.opts.deployment, { channelId: c.id, ...n }, c.voucherKey, verifyP256) ? n.amount : null;
  }
}
