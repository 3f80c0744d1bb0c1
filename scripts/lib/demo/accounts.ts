import type { Channel } from '../../../protocol/src/index.js';
import { gas } from './format.js';

/** One guest at the end of the day, as the chain and the router have it. */
export interface GuestFacts {
  name: string;
  wallet: string;
  channel: Channel;
  /** GAS balance before the guest paid and at the end. */
  before: bigint;
  after: bigint;
  /** Fees the wallet paid as a transaction's sender (opening, top ups). */
  fees: bigint;
  /** The newest voucher the router holds for the guest's channel. */
  voucher: bigint;
}

export interface OwnerFacts {
  address: string;
  before: bigint;
  after: bigint;
  fees: bigint;
}

export interface Check {
  ok: boolean;
  text: string;
}

/** What a guest gets back: at once when the channel was closed, else by refund after expiry plus the settlement window. */
export function refundOf(c: Channel, windowMs: bigint): { amount: bigint; returned: boolean; at: Date } {
  return { amount: c.deposit - c.redeemed, returned: c.closed, at: new Date(Number(c.expiry + windowMs)) };
}

/**
 * The day's numbers against the chain: the owner's balance rose by exactly
 * what was redeemed, which is exactly the newest vouchers the router holds;
 * each guest's balance fell by its deposits and fees, less what came back.
 */
export function agreement(owner: OwnerFacts, guests: GuestFacts[]): Check[] {
  const redeemed = guests.reduce((a, g) => a + g.channel.redeemed, 0n);
  const vouchers = guests.reduce((a, g) => a + g.voucher, 0n);
  const delta = owner.after - owner.before;
  const fees = owner.fees ? ` − ${gas(owner.fees)} of fees it paid` : '';
  const checks: Check[] = [
    { ok: delta === redeemed - owner.fees, text: `owner's balance changed by ${gas(delta)} = ${gas(redeemed)} redeemed from ${guests.length} channels${fees}` },
    { ok: redeemed === vouchers, text: `redeemed on chain ${gas(redeemed)} = the newest vouchers the router holds ${gas(vouchers)}` },
  ];
  for (const g of guests) {
    if (g.channel.redeemed !== g.voucher)
      checks.push({
        ok: false,
        text: `${g.name}: channel ${g.channel.id} redeemed ${gas(g.channel.redeemed)} but the router holds a voucher for ${gas(g.voucher)}`,
      });
  }
  for (const g of guests) {
    const back = g.channel.closed ? g.channel.deposit - g.channel.redeemed : 0n;
    const d = g.after - g.before;
    checks.push({
      ok: d === -g.channel.deposit - g.fees + back,
      text: `${g.name} (${g.wallet}): balance changed by ${gas(d)} = −${gas(g.channel.deposit)} deposited − ${gas(g.fees)} network fees + ${gas(back)} refunded`,
    });
  }
  return checks;
}
