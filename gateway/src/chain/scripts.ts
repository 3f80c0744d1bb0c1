import { sc } from '@cityofzion/neon-js';
import type { ContractParam } from './neon.js';
import { fromHex } from './bytes.js';

/** Script builders, so a caller can also build a guest's transaction for a wallet to sign. */

export const GAS = '0xd2a4cff31913016155e38e474a2c06d08be276cf';

// ByteArray parameters go in as base64: neon-js emits those bytes as given,
// where a HexString would be emitted reversed.
export function bytesParam(hex: string | Uint8Array): ContractParam {
  const b = typeof hex === 'string' ? fromHex(hex) : Buffer.from(hex);
  return sc.ContractParam.byteArray(b.toString('base64'));
}

export function intParam(n: bigint | number): ContractParam {
  return sc.ContractParam.integer(n.toString());
}

export function call(contract: string, operation: string, args: ContractParam[]): string {
  return sc.createScript({ scriptHash: contract, operation, args });
}

export interface OpenParams {
  router: string;
  voucherKey: string;
  expiry: bigint;
  amount: bigint;
  token?: string;
}

/** The NEP-17 transfer that opens a channel: data = ["open", router, voucherKey, expiry]. */
export function openScript(contract: string, guestHash: string, p: OpenParams): string {
  const data = sc.ContractParam.array(sc.ContractParam.string('open'), bytesParam(p.router), bytesParam(p.voucherKey), intParam(p.expiry));
  return transferScript(p.token ?? GAS, guestHash, contract, p.amount, data);
}

/** data = ["topup", channelId, newExpiry]; 0 keeps the expiry. */
export function topUpScript(contract: string, guestHash: string, id: bigint, amount: bigint, expiry = 0n, token = GAS): string {
  const data = sc.ContractParam.array(sc.ContractParam.string('topup'), intParam(id), intParam(expiry));
  return transferScript(token, guestHash, contract, amount, data);
}

export function transferScript(token: string, from: string, to: string, amount: bigint, data: ContractParam): string {
  return call(token, 'transfer', [sc.ContractParam.hash160(from), sc.ContractParam.hash160(to), intParam(amount), data]);
}

export interface VoucherItem {
  id: bigint;
  amount: bigint;
  signature: Uint8Array;
}

export function redeemBatchScript(contract: string, items: VoucherItem[]): string {
  const arr = items.map((v) => sc.ContractParam.array(intParam(v.id), intParam(v.amount), bytesParam(v.signature)));
  return call(contract, 'redeemBatch', [sc.ContractParam.array(...arr)]);
}
