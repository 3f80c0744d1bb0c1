import { bytesParam, call, intParam, redeemBatchScript } from '../chain/scripts.js';
import type { TxItem } from '../store/types.js';

export interface VoucherPick {
  channelId: number;
  amount: number;
  signature: string;
  /** The channel's payee, read from the chain, kept with the item for the owner's earnings. */
  owner: string;
}

export interface AnchorPick {
  router: string;
  routerKey: string;
  seq: number;
  prev: string;
  root: string;
  signature: string;
}

/**
 * One script for the whole round: a single redeemBatch (one payout per
 * owner) followed by one anchorBatch per batch, in sequence order. The VM
 * runs them in one transaction, so one FAULT undoes all of it.
 */
export function settlementScript(contract: string, vouchers: VoucherPick[], anchors: AnchorPick[]): string {
  const redeem = vouchers.length
    ? redeemBatchScript(contract, vouchers.map((v) => ({ id: BigInt(v.channelId), amount: BigInt(v.amount), signature: Buffer.from(v.signature, 'hex') })))
    : '';
  return redeem + anchors.map((a) => call(contract, 'anchorBatch', [
    bytesParam(a.routerKey), intParam(a.seq), bytesParam(a.prev), bytesParam(a.root), bytesParam(a.signature),
  ])).join('');
}

export function txItems(vouchers: VoucherPick[], anchors: AnchorPick[]): TxItem[] {
  return [
    ...vouchers.map((v): TxItem => ({ kind: 'redeem', channelId: v.channelId, amount: v.amount, owner: v.owner })),
    ...anchors.map((a): TxItem => ({ kind: 'anchor', router: a.router, seq: a.seq })),
  ];
}
