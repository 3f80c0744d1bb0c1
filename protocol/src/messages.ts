import { ascii, concat, fromHex, scriptHashToVm, toHex, u32le, u64le } from './bytes.js';
import { sha256 } from './hash.js';
import type { Deployment } from './deployment.js';

/**
 * The fixed binary messages that are signed (contract/README.md has the
 * layouts and test vectors). Each opens with a 16-byte domain tag, then the
 * network magic and the contract hash, so a signature for one kind, network
 * or deployment is never valid for another.
 */
export const VOUCHER_TAG = ascii('qlink-voucher-v1');
export const BATCH_TAG = ascii('qlink-anchor-v1\0');
export const CLAIM_TAG = ascii('qlink-claim-v1\0\0');
export const REKEY_TAG = ascii('qlink-rekey-v1\0\0');
export const ENROLL_TAG = ascii('qlink-enroll-v1\0');
export const SESSION_TAG = ascii('qlink-session-v1');
export const VOUCHER_BYTES = 56;
export const BATCH_HEADER_BYTES = 145;
export const CLAIM_BYTES = 101;
export const REKEY_BYTES = 114;
export const SESSION_BYTES = 90;

/** Deposits stay below 2^63 on chain, so a valid cumulative amount never needs the top bit. */
export const MAX_AMOUNT = (1n << 63n) - 1n;
export const ZERO_HASH = '00'.repeat(32);

const domainPrefix = (tag: Uint8Array, d: Deployment): Uint8Array => concat(tag, u32le(d.networkMagic), scriptHashToVm(d.contract));

/** What a guest signs: channel `channelId` may pay out `amount` in all, cumulatively. */
export function voucherMessage(d: Deployment, channelId: bigint, amount: bigint): Uint8Array {
  if (channelId <= 0n || channelId >= 1n << 64n) throw new RangeError('channel id out of range');
  if (amount < 0n || amount > MAX_AMOUNT) throw new RangeError('amount out of range');
  return concat(domainPrefix(VOUCHER_TAG, d), u64le(channelId), u64le(amount));
}

/**
 * What a router signs to let `owner` (a 0x script hash) register it on
 * chain until `claimUntil` (ms): the owner sends registerRouter alone, and
 * nobody else can use the claim, since it names the owner.
 */
export function claimMessage(d: Deployment, routerKey: string, owner: string, claimUntil: bigint | number): Uint8Array {
  return concat(domainPrefix(CLAIM_TAG, d), fromHex(routerKey, 33, 'router public key'), scriptHashToVm(owner), u64le(claimUntil));
}

/**
 * What moves channel `channelId` from its voucher key `oldKey` to `newKey`
 * (the guest lost the old one). Naming the old key makes a proof work once.
 * Wallets sign text, so the guest signs `rekeyStatement` of these bytes.
 */
export function rekeyMessage(d: Deployment, channelId: bigint, oldKey: string, newKey: string): Uint8Array {
  if (channelId <= 0n || channelId >= 1n << 64n) throw new RangeError('channel id out of range');
  return concat(domainPrefix(REKEY_TAG, d), u64le(channelId), fromHex(oldKey, 33, 'old voucher key'), fromHex(newKey, 33, 'new voucher key'));
}

export const rekeyStatement = (message: Uint8Array): string => toHex(message);

/** What a guest does to a session: each moves or ends it, so only the channel's voucher key may ask. */
export const SESSION_ACTIONS = { resume: 1, logout: 2, refund: 3 } as const;
export type SessionAction = keyof typeof SESSION_ACTIONS;

/**
 * What the channel's voucher key signs to resume a session on the channel
 * (on this router, from this device), to log out, or to log out and have the
 * rest refunded now: channel, the router it is addressed to, the action and
 * the time (ms, the router's clock), so a signature seen on the air works
 * nowhere else and only for a short while. Never checked on chain.
 */
export function sessionActionMessage(d: Deployment, channelId: bigint, routerKey: string, action: SessionAction, timeMs: number): Uint8Array {
  if (channelId <= 0n || channelId >= 1n << 64n) throw new RangeError('channel id out of range');
  if (!Number.isSafeInteger(timeMs) || timeMs < 0) throw new RangeError('time out of range');
  return concat(
    domainPrefix(SESSION_TAG, d),
    u64le(channelId),
    fromHex(routerKey, 33, 'router public key'),
    Uint8Array.of(SESSION_ACTIONS[action]),
    u64le(timeMs),
  );
}

/**
 * What a router signs to be given its broker certificate (gateway POST
 * /enroll): its key and the time, so a copied request is useless minutes later.
 */
export function enrollMessage(d: Deployment, routerKey: string, at: number): Uint8Array {
  return concat(domainPrefix(ENROLL_TAG, d), fromHex(routerKey, 33, 'router public key'), u64le(at));
}

/**
 * What a NEO N3 wallet's signMessage signs for `text` with its `salt`
 * (NeoLine: 32 hex characters it returns; '' for signMessageWithoutSalt):
 * 01 00 01 f0 ‖ varint(length) ‖ salt ‖ text ‖ 00 00, the text as UTF-8.
 * contract/README.md "wallet signMessage" has the source and the vector.
 */
export function walletSignedMessage(salt: string, text: string): Uint8Array {
  const body = new TextEncoder().encode(salt + text);
  return concat(Uint8Array.of(0x01, 0x00, 0x01, 0xf0), varint(body.length), body, Uint8Array.of(0x00, 0x00));
}

/** NEO's variable-length integer (as used in its serialisation). */
export function varint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a length: ${n}`);
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8);
  if (n <= 0xffff_ffff) return concat(Uint8Array.of(0xfe), u32le(n));
  return concat(Uint8Array.of(0xff), u64le(n));
}

/**
 * What a router signs for one usage batch: its key, the batch's sequence,
 * the previous batch's hash and the Merkle root of the records. Its SHA-256
 * is the batch hash the next batch names, so a router's batches form one chain.
 */
export function batchHeader(d: Deployment, routerKey: string, seq: number, prev: string, root: string): Uint8Array {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError('batch sequence starts at 1');
  return concat(
    domainPrefix(BATCH_TAG, d),
    fromHex(routerKey, 33, 'router public key'),
    u64le(seq),
    fromHex(prev, 32, 'previous hash'),
    fromHex(root, 32, 'root'),
  );
}

/** The batch hash: SHA-256 of the header, lowercase hex, as batches and the next batch's `prev` carry it. */
export const batchHash = (header: Uint8Array): string => toHex(sha256(header));
