import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { voucherMessage, type Domain } from './message.js';
import type { ChannelInfo, ChannelSource } from './channel-source.js';
import type { HeldVoucher, VoucherStore } from './store.js';

export interface VoucherClaim {
  channelId: bigint;
  /** Cumulative: everything the guest has agreed to pay on this channel so far. */
  amount: bigint;
  /** r‖s, 64 bytes as hex. */
  signature: string;
  /** Optional: a page that states its deployment is refused by name when it differs, not just by signature. */
  magic?: number;
  contract?: string;
}

export type Refusal =
  | 'unknown-channel' | 'unconfirmed-channel' | 'channel-closed' | 'channel-expiring' | 'other-router'
  | 'other-network' | 'other-channel' | 'bad-signature' | 'not-above-newest' | 'over-deposit' | 'below-cost';

export type CheckResult =
  | { ok: true; voucher: HeldVoucher; channel: ChannelInfo }
  /** minimum: the lowest amount that would pass this check, where there is one (so a page can sign it at once). */
  | { ok: false; reason: Refusal; detail: string; minimum?: bigint };

export interface CheckerOptions {
  domain: Domain;
  /** This router's compressed public key. */
  routerKey: string;
  /** The owner's script hash (0x…): channels opened at any of the owner's routers are served (roaming). */
  owner?: string;
  /** A channel this close to expiry buys nothing more: the owner needs time to redeem. */
  expiryMarginMs: number;
}

export interface CheckContext {
  /** The channel the guest's session is bound to; null before its first voucher. */
  sessionChannel: bigint | null;
  sessionId: number | null;
  /** What the session has cost so far, in the token's smallest unit. */
  meteredCost: bigint;
  now: number;
}

const SPKI_P256_COMPRESSED = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
const HEX64 = /^[0-9a-f]{128}$/i;

/**
 * The checks of design.md "Vouchers", cheapest first, and the store write
 * last: a voucher is stored (strictly above the newest, atomically) before
 * the caller may grant anything for it.
 */
export class VoucherChecker {
  readonly #keys = new Map<string, KeyObject>();

  constructor(private readonly opts: CheckerOptions, private readonly source: ChannelSource, private readonly store: VoucherStore) {}

  async check(v: VoucherClaim, ctx: CheckContext): Promise<CheckResult> {
    const no = (reason: Refusal, detail: string, minimum?: bigint): CheckResult => ({ ok: false, reason, detail, ...(minimum === undefined ? {} : { minimum }) });
    const d = this.opts.domain;
    if (v.magic !== undefined && v.magic !== d.magic) return no('other-network', `voucher for network ${v.magic}, this is ${d.magic}`);
    if (v.contract !== undefined && v.contract.toLowerCase() !== d.contract.toLowerCase()) return no('other-network', 'voucher for another contract');
    if (ctx.sessionChannel !== null && ctx.sessionChannel !== v.channelId) return no('other-channel', `session is paid by channel ${ctx.sessionChannel}`);
    if (v.channelId <= 0n || v.amount < 0n || v.amount >= 1n << 63n) return no('bad-signature', 'channel id or amount out of range');
    const held = this.store.newest(v.channelId);
    if (held && v.amount <= held.amount) return no('not-above-newest', `newest held is ${held.amount}`, held.amount + 1n);
    const c = await this.source.channel(v.channelId);
    if (!c) return no('unknown-channel', 'the chain knows no such channel (yet)');
    if (!c.confirmed) return no('unconfirmed-channel', 'the channel is not in a block yet');
    if (c.closed) return no('channel-closed', 'the channel is closed');
    if (c.expiry - BigInt(this.opts.expiryMarginMs) <= (await this.source.now())) return no('channel-expiring', 'the channel has expired or is about to');
    const ours = c.router.toLowerCase() === this.opts.routerKey.toLowerCase()
      || (this.opts.owner !== undefined && c.owner.toLowerCase() === this.opts.owner.toLowerCase());
    if (!ours) return no('other-router', "the channel pays another router's owner");
    if (v.amount > c.deposit) return no('over-deposit', `deposit is ${c.deposit}`);
    // Roaming: another of the owner's routers took a voucher this one has not seen. Only the rise above it buys service here.
    const elsewhere = this.#elsewhere(c, held?.amount ?? 0n);
    if (elsewhere !== null && v.amount <= elsewhere && elsewhere >= c.redeemed) {
      return no('not-above-newest', `the gateway holds ${elsewhere}: another router served this channel`, elsewhere + 1n);
    }
    if (v.amount <= c.redeemed) return no('not-above-newest', `already redeemed ${c.redeemed}`, c.redeemed + 1n);
    const cost = ctx.meteredCost + (elsewhere === null ? 0n : elsewhere - (held?.amount ?? 0n));
    if (v.amount < cost) return no('below-cost', `service so far cost ${cost}`, cost);
    if (!this.#signedByChannel(c, v.channelId, v.amount, v.signature)) {
      return no('bad-signature', "not signed by the channel's voucher key for this network, contract, channel and amount");
    }
    const voucher: HeldVoucher = { channelId: v.channelId, amount: v.amount, signature: v.signature.toLowerCase(), sessionId: ctx.sessionId, at: ctx.now };
    // Another request may have stored a higher one since the read above.
    if (!this.store.raise(voucher, elsewhere ?? undefined)) return no('not-above-newest', 'a voucher as high or higher arrived first');
    return { ok: true, voucher, channel: c };
  }

  /** The gateway's newest voucher when it is above what this router holds (and really the guest's); else null. */
  #elsewhere(c: ChannelInfo, held: bigint): bigint | null {
    const n = c.newest;
    if (!n || n.amount <= held || n.amount > c.deposit) return null;
    return this.#signedByChannel(c, c.id, n.amount, n.signature) ? n.amount : null;
  }

  #signedByChannel(c: ChannelInfo, id: bigint, amount: bigint, signature: string): boolean {
    return HEX64.test(signature) && this.#verify(c.voucherKey, voucherMessage(this.opts.domain, id, amount), Buffer.from(signature, 'hex'));
  }

  #verify(keyHex: string, message: Buffer, sig: Buffer): boolean {
    let key = this.#keys.get(keyHex);
    if (!key) {
      try {
        key = createPublicKey({ key: Buffer.concat([SPKI_P256_COMPRESSED, Buffer.from(keyHex, 'hex')]), format: 'der', type: 'spki' });
      } catch {
        return false;
      }
      if (this.#keys.size > 10_000) this.#keys.clear();
      this.#keys.set(keyHex, key);
    }
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, sig);
  }
}
