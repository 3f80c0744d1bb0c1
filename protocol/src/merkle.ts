import { sha256 } from './hash.js';

/**
 * RFC 6962 (Certificate Transparency) Merkle tree hash: leaves and inner
 * nodes carry different prefixes, so a leaf can never pass for a node, and
 * an odd node is not duplicated (Bitcoin's duplication lets two lists share
 * a root).
 */
const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

export function leafHash(leaf: Uint8Array): Uint8Array {
  return sha256(LEAF, leaf);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE, left, right);
}

export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (!leaves.length) return sha256();
  return rootOf(leaves.map(leafHash));
}

/** The largest power of two below n (n ≥ 2), where RFC 6962 section 2.1 splits. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function rootOf(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 1) return hashes[0]!;
  const k = split(hashes.length);
  return nodeHash(rootOf(hashes.slice(0, k)), rootOf(hashes.slice(k)));
}

/** RFC 6962 section 2.1.1 audit path of leaf `index` among `hashes` (leaf hashes), nearest sibling first. */
export function inclusionPath(hashes: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= hashes.length) throw new RangeError('leaf index out of range');
  if (hashes.length === 1) return [];
  const k = split(hashes.length);
  return index < k
    ? [...inclusionPath(hashes.slice(0, k), index), rootOf(hashes.slice(k))]
    : [...inclusionPath(hashes.slice(k), index - k), rootOf(hashes.slice(0, k))];
}

/** RFC 9162 section 2.1.3.2: the root that a leaf hash, its index, the tree size and its audit path imply. */
export function rootFromPath(leaf: Uint8Array, index: number, size: number, path: readonly Uint8Array[]): Uint8Array | null {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}
