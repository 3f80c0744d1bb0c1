import { fromHex, toHex } from './bytes.js';
import { sha256 } from './hash.js';
import { merkleRoot } from './merkle.js';
import { batchHeader } from './messages.js';
import { recordBytes } from './usage.js';
import type { Batch } from './wire/usage.js';

/** Checks r‖s over SHA-256 of message by a compressed public key (hex): node:crypto on servers, @noble/curves in a page. */
export type VerifyP256 = (message: Uint8Array, signature: Uint8Array, publicKey: string) => boolean;

export const recordsRoot = (routerKey: string, records: Batch['records']): string => toHex(merkleRoot(records.map((r) => recordBytes(routerKey, r))));

/**
 * Everything a receiver checks that needs only the batch itself; the hash
 * chain (prev = hash of batch seq − 1) needs the receiver's own history.
 * Returns the reason a batch is refused, or null.
 */
export function batchProblem(b: Batch, verify: VerifyP256): string | null {
  for (let i = 1; i < b.records.length; i++) {
    if (b.records[i]!.id <= b.records[i - 1]!.id) return 'record ids not increasing';
  }
  let from = Infinity;
  let to = -Infinity;
  for (const r of b.records) {
    if (r.endMs < r.startMs) return 'record interval runs backwards';
    from = Math.min(from, r.startMs);
    to = Math.max(to, r.endMs);
  }
  if (b.fromMs !== from) return 'fromMs is not the earliest record start';
  if (b.toMs !== to) return 'toMs is not the latest record end';
  if (recordsRoot(b.router, b.records) !== b.root) return 'Merkle root does not match the records';
  const header = batchHeader(b, b.router, b.seq, b.prev, b.root);
  if (toHex(sha256(header)) !== b.hash) return 'batch hash does not match';
  if (!verify(header, fromHex(b.signature, 64), b.router)) return 'bad router signature';
  return null;
}
