import { fromHex, toHex } from './bytes.js';
import { inclusionPath, leafHash, merkleRoot, rootFromPath } from './merkle.js';

/**
 * A settlement round: every batch a gateway stored since its last round,
 * across all routers, under one RFC 6962 Merkle root that the gateway
 * anchors on chain with anchorRound. Leaf i is leafHash(the 32-byte batch
 * hash) of the i-th batch in round order: by router address (byte order of
 * its ASCII), then by sequence number. The order is fixed so anyone holding
 * a round's batch list gets the same root.
 */
export interface RoundBatch {
  /** The router's NEO address (the <router-id> of its topics). */
  router: string;
  seq: number;
  /** The batch hash, 32 bytes of hex: SHA-256 of the header the router signed. */
  hash: string;
}

export function roundOrder<T extends Pick<RoundBatch, 'router' | 'seq'>>(batches: readonly T[]): T[] {
  // Plain code-unit comparison, not a database collation: addresses are ASCII, so this is byte order.
  return [...batches].sort((a, b) => (a.router < b.router ? -1 : a.router > b.router ? 1 : a.seq - b.seq));
}

/** The root of a round whose batch hashes are given in round order. */
export function roundRoot(hashes: readonly string[]): string {
  if (!hashes.length) throw new RangeError('a round holds at least one batch');
  return toHex(merkleRoot(hashes.map((h) => fromHex(h, 32, 'batch hash'))));
}

/** The audit path (RFC 6962 section 2.1.1, nearest sibling first) of batch `index` of a round. */
export function roundPath(hashes: readonly string[], index: number): string[] {
  return inclusionPath(
    hashes.map((h) => leafHash(fromHex(h, 32, 'batch hash'))),
    index,
  ).map(toHex);
}

/** The root that a batch hash at `index` of a round of `size` and its path lead to, or null when they lead nowhere. */
export function rootOfPath(batchHash: string, index: number, size: number, path: readonly string[]): string | null {
  const r = rootFromPath(
    leafHash(fromHex(batchHash, 32, 'batch hash')),
    index,
    size,
    path.map((p) => fromHex(p, 32, 'path node')),
  );
  return r ? toHex(r) : null;
}
