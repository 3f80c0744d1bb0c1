import { readFileSync } from 'node:fs';
import { wallet } from '@cityofzion/neon-js';
import t from 'tap';
import { anchorMessage, recordBytes, RECORD_BYTES, ANCHOR_BYTES, sha256 } from '../agent/src/usage/format.js';
import { leafHash, merkleRoot } from '../agent/src/usage/merkle.js';
import { verifyP256 } from '../agent/src/usage/verify.js';
import { recordSchema } from '../agent/src/usage/wire.js';

const doc = readFileSync(new URL('../../docs/usage-batches.md', import.meta.url), 'utf8');
const block = /## Test vectors[\s\S]*?```json\n([\s\S]*?)\n```/.exec(doc);
const v = JSON.parse(block![1]!);

t.test('the vectors in docs/usage-batches.md hold', async (t) => {
  t.equal(wallet.getPublicKeyFromPrivateKey(v.privateKey), v.publicKey);
  t.equal(new wallet.Account(v.privateKey).address, v.address);
  const records = v.records.map((r: unknown) => recordSchema.parse(r));
  const bytes = records.map((r: Parameters<typeof recordBytes>[1]) => recordBytes(v.publicKey, r));
  t.same(bytes.map((b: Buffer) => b.length), [RECORD_BYTES, RECORD_BYTES, RECORD_BYTES]);
  t.same(bytes.map((b: Buffer) => b.toString('hex')), v.recordBytes);
  t.same(bytes.map((b: Buffer) => leafHash(b).toString('hex')), v.leafHashes);
  t.equal(merkleRoot(bytes).toString('hex'), v.root);
  const msg = anchorMessage(v, v.publicKey, v.seq, v.prev, v.root);
  t.equal(msg.length, ANCHOR_BYTES);
  t.equal(msg.toString('hex'), v.anchorMessage);
  t.equal(sha256(msg).toString('hex'), v.hash);
  t.ok(wallet.verify(v.anchorMessage, v.signature, v.publicKey), 'neon-js verifies the vector signature');
  t.ok(verifyP256(msg, Buffer.from(v.signature, 'hex'), v.publicKey));
  const signed = wallet.sign(v.anchorMessage, v.privateKey);
  t.ok(verifyP256(msg, Buffer.from(signed, 'hex'), v.publicKey), 'node:crypto verifies neon-js signatures too');
});

t.test('Merkle tree shape follows RFC 6962', async (t) => {
  const leaves = [0, 1, 2, 3, 4].map((i) => Buffer.of(i));
  const L = leaves.map(leafHash);
  const node = (a: Buffer, b: Buffer) => sha256(Buffer.of(1), a, b);
  t.same(merkleRoot(leaves.slice(0, 1)), L[0]);
  t.same(merkleRoot(leaves.slice(0, 3)), node(node(L[0]!, L[1]!), L[2]!));
  t.same(merkleRoot(leaves), node(node(node(L[0]!, L[1]!), node(L[2]!, L[3]!)), L[4]!));
  t.notSame(merkleRoot([...leaves, leaves[4]!]), merkleRoot(leaves), 'a repeated last record changes the root');
});
