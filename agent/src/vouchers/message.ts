/**
 * The 56 voucher bytes (contract/README.md "Voucher layout"), built here and
 * not imported from gateway/src/chain: the router's package carries the
 * agent only. test/vouchers.test.ts checks both builders against the vector.
 */
const TAG = Buffer.from('qlink-voucher-v1', 'ascii');

export interface Domain {
  magic: number;
  /** 0x + 40 hex digits, as people read it; the message holds it reversed (VM order). */
  contract: string;
}

export function voucherMessage(d: Domain, channelId: bigint, amount: bigint): Buffer {
  if (!/^0x[0-9a-fA-F]{40}$/.test(d.contract)) throw new TypeError('contract must be 0x + 40 hex digits');
  if (channelId <= 0n || channelId >= 1n << 64n) throw new RangeError('channel id out of range');
  if (amount < 0n || amount >= 1n << 63n) throw new RangeError('amount out of range');
  const m = Buffer.alloc(56);
  TAG.copy(m, 0);
  m.writeUInt32LE(d.magic, 16);
  Buffer.from(d.contract.slice(2), 'hex').reverse().copy(m, 20);
  m.writeBigUInt64LE(channelId, 40);
  m.writeBigUInt64LE(amount, 48);
  return m;
}
