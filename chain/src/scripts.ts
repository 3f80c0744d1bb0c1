import { sc } from '@cityofzion/neon-js';
import { fromHex } from '../../protocol/src/index.js';
import type { ContractParam } from './neon.js';

/**
 * Scripts for the contract's methods (contract/README.md "Methods"), so a
 * caller can also build a transaction for someone else to sign (a guest's
 * wallet, an owner's). Op codes of the transfer data: 0 open, 1 top up.
 */

export const GAS = '0xd2a4cff31913016155e38e474a2c06d08be276cf';
export const OP_OPEN = 0;
export const OP_TOPUP = 1;

// ByteArray parameters go in as base64: neon-js emits those bytes as given,
// where a HexString would be emitted reversed.
export function bytesParam(hex: string | Uint8Array): ContractParam {
  const b = Buffer.from(typeof hex === 'string' ? fromHex(hex) : hex);
  return sc.ContractParam.byteArray(b.toString('base64'));
}

export function intParam(n: bigint | number): ContractParam {
  return sc.ContractParam.integer(n.toString());
}

export const hashParam = (h: string): ContractParam => sc.ContractParam.hash160(h);

export function call(contract: string, operation: string, args: ContractParam[]): string {
  return sc.createScript({ scriptHash: contract, operation, args });
}

/** Several calls in one script, run in order in one transaction (a router's registration and its plans, say). */
export function calls(contract: string, list: Array<[operation: string, args: ContractParam[]]>): string {
  return list.map(([operation, args]) => call(contract, operation, args)).join('');
}

export interface OpenParams {
  router: string;
  voucherKey: string;
  expiry: bigint;
  amount: bigint;
  planId: number;
  planVersion: number;
  token?: string;
}

/** The NEP-17 transfer that opens a channel: data = [0, router, voucherKey, expiry, planId, planVersion]. */
export function openScript(contract: string, guestHash: string, p: OpenParams): string {
  return transferScript(p.token ?? GAS, guestHash, contract, p.amount, openData(p));
}

export function openData(p: Pick<OpenParams, 'router' | 'voucherKey' | 'expiry' | 'planId' | 'planVersion'>): ContractParam {
  return sc.ContractParam.array(
    intParam(OP_OPEN),
    bytesParam(p.router),
    bytesParam(p.voucherKey),
    intParam(p.expiry),
    intParam(p.planId),
    intParam(p.planVersion),
  );
}

/** data = [1, channelId, newExpiry]; 0 keeps the expiry. */
export function topUpScript(contract: string, guestHash: string, id: bigint, amount: bigint, expiry = 0n, token = GAS): string {
  const data = sc.ContractParam.array(intParam(OP_TOPUP), intParam(id), intParam(expiry));
  return transferScript(token, guestHash, contract, amount, data);
}

export function transferScript(token: string, from: string, to: string, amount: bigint, data: ContractParam): string {
  return call(token, 'transfer', [hashParam(from), hashParam(to), intParam(amount), data]);
}

export interface VoucherItem {
  id: bigint;
  amount: bigint;
  signature: Uint8Array;
}

export const redeemBatchArgs = (items: readonly VoucherItem[]): ContractParam[] => [
  sc.ContractParam.array(...items.map((v) => sc.ContractParam.array(intParam(v.id), intParam(v.amount), bytesParam(v.signature)))),
];

export function redeemBatchScript(contract: string, items: readonly VoucherItem[]): string {
  return call(contract, 'redeemBatch', redeemBatchArgs(items));
}

/** anchorRound(anchorer, round, root): the anchorer must witness. */
export const anchorRoundArgs = (anchorer: string, round: bigint, root: string): ContractParam[] => [hashParam(anchorer), intParam(round), bytesParam(root)];

/** close(id, amount, signature, by): by is the owner or a closer the owner authorised; that account witnesses. */
export const closeArgs = (v: VoucherItem, by: string): ContractParam[] => [intParam(v.id), intParam(v.amount), bytesParam(v.signature), hashParam(by)];

export const registerRouterArgs = (owner: string, router: string, claimUntil: bigint, claimSig: Uint8Array): ContractParam[] => [
  hashParam(owner),
  bytesParam(router),
  intParam(claimUntil),
  bytesParam(claimSig),
];

export const publishPlanArgs = (owner: string, planId: number, terms: Uint8Array): ContractParam[] => [hashParam(owner), intParam(planId), bytesParam(terms)];

export const setCloserArgs = (owner: string, closer: string, allowed: boolean): ContractParam[] => [
  hashParam(owner),
  hashParam(closer),
  sc.ContractParam.boolean(allowed),
];

/** rekey(id, newKey, proof): proof null = the guest witnesses; else what the guest's wallet signMessage returned. */
export function rekeyArgs(id: bigint, newKey: string, proof: { publicKey: string; salt: string; signature: Uint8Array } | null): ContractParam[] {
  const p = proof
    ? sc.ContractParam.array(bytesParam(proof.publicKey), bytesParam(new TextEncoder().encode(proof.salt)), bytesParam(proof.signature))
    : sc.ContractParam.any(null);
  return [intParam(id), bytesParam(newKey), p];
}
