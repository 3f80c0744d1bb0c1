import { anchorRoundArgs, call, redeemBatchScript } from '../../../chain/src/scripts.js';
import type { RoundRef, TxItem } from '../store/types.js';

export interface VoucherPick {
  channelId: number;
  amount: number;
  signature: string;
  /** The channel's payee, read from the chain, kept with the item for the owner's earnings. */
  owner: string;
}

/** A round's anchor: anchorRound(anchorer, round, root). */
export interface RoundPick extends RoundRef {
  root: string;
}

/**
 * One script for the whole settlement: a single redeemBatch (one payout per
 * owner), then the round's anchorRound when one is due. The VM runs them in
 * one transaction, so one FAULT undoes all of it.
 */
export function settlementScript(contract: string, vouchers: VoucherPick[], round: RoundPick | null): string {
  const redeem = vouchers.length
    ? redeemBatchScript(
        contract,
        vouchers.map((v) => ({ id: BigInt(v.channelId), amount: BigInt(v.amount), signature: Buffer.from(v.signature, 'hex') })),
      )
    : '';
  return redeem + (round ? call(contract, 'anchorRound', anchorRoundArgs(round.anchorer, BigInt(round.round), round.root)) : '');
}

export function txItems(vouchers: VoucherPick[]): TxItem[] {
  return vouchers.map((v): TxItem => ({ kind: 'redeem', channelId: v.channelId, amount: v.amount, owner: v.owner }));
}
