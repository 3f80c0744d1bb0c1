import { createHash } from 'node:crypto';
import { fromHex, scriptHashToVm, u32le, u64le } from './bytes.js';

/** The bytes a guest signs and the contract checks; see contract/README.md. */
export const VOUCHER_TAG = Buffer.from('qlink-voucher-v1', 'ascii');
export const ANCHOR_TAG = Buffer.concat([Buffer.from('qlink-anchor-v1', 'ascii'), Buffer.of(0)]);
export const VOUCHER_BYTES = 56;
export const ANCHOR_BYTES = 145;
// Deposits stay below 2^63 on chain, so no valid amount needs the top bit.
const MAX_AMOUNT = (1n << 63n) - 1n;

/** What binds a message to one deployment: network magic and contract hash. */
export interface Domain {
  magic: number;
  contract: string;
}

export function voucherMessage(d: Domain, channelId: bigint, amount: bigint): Buffer {
  if (channelId <= 0n) throw new RangeError('channel id must be positive');
  if (amount < 0n || amount > MAX_AMOUNT) throw new RangeError('amount out of range');
  return Buffer.concat([VOUCHER_TAG, u32le(d.magic), scriptHashToVm(d.contract), u64le(channelId), u64le(amount)]);
}

export function anchorMessage(d: Domain, router: string, seq: bigint, prev: string, root: string): Buffer {
  if (seq <= 0n || seq > MAX_AMOUNT) throw new RangeError('sequence out of range');
  return Buffer.concat([
    ANCHOR_TAG,
    u32le(d.magic),
    scriptHashToVm(d.contract),
    fromHex(router, 33),
    u64le(seq),
    fromHex(prev, 32),
    fromHex(root, 32),
  ]);
}

/** The batch hash the next anchor must name as its previous one. */
export function anchorHash(message: Uint8Array): string {
  return createHash('sha256').update(message).digest('hex');
}

export const ZERO_HASH = '00'.repeat(32);
