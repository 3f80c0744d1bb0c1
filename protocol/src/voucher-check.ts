import { fromHex } from './bytes.js';
import type { Deployment } from './deployment.js';
import type { VerifyP256 } from './batch.js';
import { MAX_AMOUNT, voucherMessage } from './messages.js';

/** What a voucher check needs of a channel, as the contract holds it. */
export interface VoucherChannel {
  owner: string;
  voucherKey: string;
  deposit: bigint;
  redeemed: bigint;
  closed: boolean;
}

export interface Voucher {
  channelId: bigint;
  amount: bigint;
  /** r‖s, 64 bytes as hex. */
  signature: string;
}

const SIG_HEX = /^[0-9a-fA-F]{128}$/;

export function signedByChannel(d: Deployment, v: Voucher, voucherKey: string, verify: VerifyP256): boolean {
  if (!SIG_HEX.test(v.signature) || v.channelId <= 0n || v.amount < 0n || v.amount > MAX_AMOUNT) return false;
  return verify(voucherMessage(d, v.channelId, v.amount), fromHex(v.signature, 64), voucherKey);
}

/**
 * Why this voucher is not the guest's word for this channel and owner, or
 * null when it is: the channel exists, pays `owner` (null: anyone), the
 * amount is at most the deposit and the channel's voucher key signed it. What
 * a gateway checks at the door (the channel may be closed or redeemed since:
 * a genuine voucher stays genuine); voucherRefusal adds what the contract
 * checks at the time of paying.
 */
export function voucherForgery(ch: VoucherChannel | null, v: Voucher, owner: string | null, d: Deployment, verify: VerifyP256): string | null {
  if (!ch) return 'unknown channel';
  if (owner !== null && ch.owner.toLowerCase() !== owner.toLowerCase()) return 'channel pays another owner';
  if (v.amount > ch.deposit) return 'above deposit';
  if (!signedByChannel(d, v, ch.voucherKey, verify)) return 'bad voucher signature';
  return null;
}

/**
 * Why the contract would refuse to pay this voucher to `owner` (redeem or
 * close), or null when it would pay: the checks the router makes before it
 * grants service, and the settler and the closer before they send.
 */
export function voucherRefusal(ch: VoucherChannel | null, v: Voucher, owner: string | null, d: Deployment, verify: VerifyP256): string | null {
  if (!ch) return 'unknown channel';
  if (owner !== null && ch.owner.toLowerCase() !== owner.toLowerCase()) return 'channel pays another owner';
  if (ch.closed) return 'channel closed';
  if (v.amount <= ch.redeemed) return 'not above what was redeemed';
  return voucherForgery(ch, v, owner, d, verify);
}
