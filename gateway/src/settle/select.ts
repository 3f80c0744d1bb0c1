import { type Deployment, voucherRefusal } from '../../../protocol/src/index.js';
import { verifyP256 } from '../../../protocol/src/node/index.js';
import type { VoucherToRedeem } from '../store/types.js';
import type { SettleChain } from './chain.js';
import type { VoucherPick } from './script.js';

export interface Refused<T> {
  item: T;
  reason: string;
}

/**
 * Drops what the contract would refuse, read from the chain first, so one
 * stale or forged voucher does not FAULT (and pay fees for) the whole batch.
 */
export async function redeemable(
  chain: SettleChain,
  d: Deployment,
  vs: VoucherToRedeem[],
): Promise<{ ok: VoucherPick[]; refused: Refused<VoucherToRedeem>[] }> {
  const ok: VoucherPick[] = [];
  const refused: Refused<VoucherToRedeem>[] = [];
  for (const v of vs) {
    const ch = await chain.channel(v.channelId);
    const why = voucherRefusal(ch, { channelId: BigInt(v.channelId), amount: BigInt(v.amount), signature: v.signature }, null, d, verifyP256);
    if (why || !ch) refused.push({ item: v, reason: why ?? 'unknown channel' });
    else ok.push({ ...v, owner: ch.owner });
  }
  return { ok, refused };
}
