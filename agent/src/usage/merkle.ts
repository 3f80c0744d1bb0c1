import { sha256 } from './format.js';

/**
 * RFC 6962 (Certificate Transparency) Merkle tree hash: leaves and inner nodes
 * carry different prefixes, so a leaf can never pass for a node, and an odd
 * node is not duplicated (Bitcoin's duplication lets two lists share a root).
 */
export function leafHash(leaf: Uint8Array): Buffer {
  return sha256(Buffer.of(0), leaf);
}

export function merkleRoot(leaves: readonly Uint8Array[]): Buffer {
  if (!leaves.length) return sha256();
  return rootOf(leaves.map(leafHash));
}

function rootOf(hashes: Buffer[]): Buffer {
  if (hashes.length === 1) return hashes[0]!;
  // Split at the largest power of two below n, as RFC 6962 section 2.1 does.
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return sha256(Buffer.of(1), rootOf(hashes.slice(0, k)), rootOf(hashes.slice(k)));
}
