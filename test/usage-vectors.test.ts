import { readFileSync } from 'node:fs';
import { wallet } from '@cityofzion/neon-js';
import t from 'tap';
import { BATCH_HEADER_BYTES, batchHeader, leafHash, merkleRoot, RECORD_BYTES, recordBytes, recordSchema, sha256, toHex } from '../protocol/src/index.js';
import { verifyP256 } from '../protocol/src/node/index.js';

const doc = readFileSync(new URL('../../docs/usage-batches.md', import.meta.url), 'utf8');
const block = /## Test vectors[\s\S]*?```json\n([\s\S]*?)\n```/.exec(doc);
const v = JSON.parse(block![1]!);

t.test('the vectors in docs/usage-batches.md hold', async (t) => {
  t.equal(wallet.getPublicKeyFromPrivateKey(v.privateKey), v.publicKey);
  t.equal(new wallet.Account(v.privateKey).address, v.address);
  const records = v.records.map((r: unknown) => recordSchema.parse(r));
  const bytes: Uint8Array[] = records.map((r: Parameters<typeof recordBytes>[1]) => recordBytes(v.publicKey, r));
  t.same(
    bytes.map((b) => b.length),
    [RECORD_BYTES, RECORD_BYTES, RECORD_BYTES],
  );
  t.same(
    bytes.map((b) => toHex(b)),
    v.recordBytes,
  );
  t.same(
    bytes.map((b) => toHex(leafHash(b))),
    v.leafHashes,
  );
  t.equal(toHex(merkleRoot(bytes)), v.root);
  const msg = batchHeader(v, v.publicKey, v.seq, v.prev, v.root);
  t.equal(msg.length, BATCH_HEADER_BYTES);
  t.equal(toHex(msg), v.anchorMessage);
  t.equal(toHex(sha256(msg)), v.hash);
  t.ok(wallet.verify(v.anchorMessage, v.signature, v.publicKey), 'neon-js verifies the vector signature');
  t.ok(verifyP256(msg, Buffer.from(v.signature, 'hex'), v.publicKey));
  const signed = wallet.sign(v.anchorMessage, v.privateKey);
  t.ok(verifyP256(msg, Buffer.from(signed, 'hex'), v.publicKey), 'node:crypto verifies neon-js signatures too');
});

t.test('Merkle tree shape follows RFC 6962', async (t) => {
  const leaves = [0, 1, 2, 3, 4].map((i) => Buffer.of(i));
  const L = leaves.map(leafHash);
  const node = (a: Uint8Array, b: Uint8Array) => sha256(Uint8Array.of(1), a, b);
  t.same(merkleRoot(leaves.slice(0, 1)), L[0]);
  t.same(merkleRoot(leaves.slice(0, 3)), node(node(L[0]!, L[1]!), L[2]!));
  t.same(merkleRoot(leaves), node(node(node(L[0]!, L[1]!), node(L[2]!, L[3]!)), L[4]!));
  t.notSame(merkleRoot([...leaves, leaves[4]!]), merkleRoot(leaves), 'a repeated last record changes the root');
});
