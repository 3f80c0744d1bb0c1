import { publicKeyFromHex, verifyMessage } from '../chain/keys.js';
import { voucherMessage, type Domain } from '../chain/messages.js';
import type { VoucherToRedeem } from '../store/types.js';
import type { SettleChain } from './chain.js';
import type { AnchorPick, VoucherPick } from './script.js';

export interface Refused<T> { item: T; reason: string }

/**
 * Drops what the contract would refuse, read from the chain first, so one
 * stale or forged voucher does not FAULT (and pay fees for) the whole batch.
 */
export async function redeemable(chain: SettleChain, d: Domain, vs: VoucherToRedeem[]): Promise<{ ok: VoucherPick[]; refused: Refused<VoucherToRedeem>[] }> {
  const ok: VoucherPick[] = [];
  const refused: Refused<VoucherToRedeem>[] = [];
  for (const v of vs) {
    const ch = await chain.channel(v.channelId);
    const why = !ch ? 'unknown channel'
      : ch.closed ? 'channel closed'
      : ch.redeemed >= BigInt(v.amount) ? 'not above what was redeemed'
      : BigInt(v.amount) > ch.deposit ? 'above deposit'
      : !/^[0-9a-f]{128}$/i.test(v.signature) || !verifyMessage(publicKeyFromHex(ch.voucherKey),
        voucherMessage(d, BigInt(v.channelId), BigInt(v.amount)), Buffer.from(v.signature, 'hex')) ? 'bad voucher signature'
      : null;
    if (why || !ch) refused.push({ item: v, reason: why ?? 'unknown channel' });
    else ok.push({ ...v, owner: ch.owner });
  }
  return { ok, refused };
}

/**
 * Per router, the run of batches that extends its on-chain anchor head
 * (head + 1, head + 2, … with the first naming the head's hash); the store
 * already checked each batch's link to its predecessor. Batches at or below
 * the head are on chain already (another deployment anchored them).
 */
export async function anchorable(chain: SettleChain, rows: AnchorPick[]): Promise<{ groups: AnchorPick[][]; refused: Refused<AnchorPick>[] }> {
  const byRouter = new Map<string, AnchorPick[]>();
  for (const r of rows) byRouter.set(r.routerKey, [...(byRouter.get(r.routerKey) ?? []), r]);
  const groups: AnchorPick[][] = [];
  const refused: Refused<AnchorPick>[] = [];
  for (const [key, list] of byRouter) {
    const head = await chain.anchorHead(key);
    let next = Number(head.seq) + 1;
    const run: AnchorPick[] = [];
    for (const b of list.sort((a, z) => a.seq - z.seq)) {
      if (b.seq < next && run.length === 0) refused.push({ item: b, reason: `already anchored (chain head ${head.seq})` });
      else if (b.seq !== next) break; // a gap: the rest waits for it
      else if (run.length === 0 && b.prev.toLowerCase() !== head.hash.replace(/^0x/, '').toLowerCase()) {
        refused.push({ item: b, reason: 'previous hash does not match the chain head' });
        break;
      } else {
        run.push(b);
        next++;
      }
    }
    if (run.length) groups.push(run);
  }
  return { groups, refused };
}
