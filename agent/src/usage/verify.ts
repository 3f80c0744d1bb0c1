import { createPublicKey, verify } from 'node:crypto';
import { anchorMessage, recordBytes, sha256 } from './format.js';
import { merkleRoot } from './merkle.js';
import type { Batch } from './wire.js';

/** SPKI DER prefix of a compressed P-256 point: lets node:crypto take NEO's 33-byte key as it is. */
const P256_COMPRESSED_SPKI = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');

export function verifyP256(message: Uint8Array, signature: Uint8Array, publicKey: string): boolean {
  const key = createPublicKey({ key: Buffer.concat([P256_COMPRESSED_SPKI, Buffer.from(publicKey, 'hex')]), format: 'der', type: 'spki' });
  return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

/**
 * Everything a receiver checks that needs only the batch itself; the hash
 * chain (prev = hash of batch seq - 1) needs the receiver's own history.
 * Returns the reason a batch is refused, or null.
 */
export function batchProblem(b: Batch): string | null {
  for (let i = 1; i < b.records.length; i++) {
    if (b.records[i]!.id <= b.records[i - 1]!.id) return 'record ids not increasing';
  }
  if (b.records.some((r) => r.endMs < r.startMs)) return 'record interval runs backwards';
  if (b.fromMs !== Math.min(...b.records.map((r) => r.startMs))) return 'fromMs is not the earliest record start';
  if (b.toMs !== Math.max(...b.records.map((r) => r.endMs))) return 'toMs is not the latest record end';
  const root = merkleRoot(b.records.map((r) => recordBytes(b.router, r))).toString('hex');
  if (root !== b.root) return 'Merkle root does not match the records';
  const msg = anchorMessage(b, b.router, b.seq, b.prev, b.root);
  if (sha256(msg).toString('hex') !== b.hash) return 'batch hash does not match';
  if (!verifyP256(msg, Buffer.from(b.signature, 'hex'), b.router)) return 'bad router signature';
  return null;
}
