import t from 'tap';
import type { JsonRpc } from '../chain/src/json-rpc.js';
import { verifyProof } from '../chain/src/verify-proof.js';
import {
  addressOf,
  addressOfKey,
  type Batch,
  fromHex,
  leafHash,
  merkleRoot,
  nodeHash,
  type Proof,
  rootOfPath,
  roundOrder,
  roundPath,
  roundRoot,
  scriptHashOfAddress,
  sha256,
  toBase64,
  toHex,
} from '../protocol/src/index.js';
import { deployment, SimRouter } from './gateway-sim.js';

// Rounds and their proofs without a chain: the tree of protocol/src/round.ts
// and the verifier of chain/src/verify-proof.ts over a JSON-RPC stand-in
// that answers what a neo-go node answers.
const h = (n: number) => toHex(sha256(Uint8Array.of(n)));

t.test('round order: by router address, then seq, whatever order the store gave', async (t) => {
  const got = roundOrder([
    { router: 'NZb', seq: 2 },
    { router: 'NAa', seq: 9 },
    { router: 'NZb', seq: 1 },
    { router: 'Nab', seq: 1 },
  ]);
  t.same(
    got,
    [
      { router: 'NAa', seq: 9 },
      { router: 'NZb', seq: 1 },
      { router: 'NZb', seq: 2 },
      { router: 'Nab', seq: 1 },
    ],
    'byte order: Z (0x5a) before a (0x61)',
  );
});

// The size is not bound by the root (RFC 9162 verification takes it as given; a path for 3 leaves also fits 4): the anchored root is what binds.
t.test('every leaf of rounds of 1 to 33 batches has a path to the root, and no other leaf or index does', async (t) => {
  for (let n = 1; n <= 33; n++) {
    const hashes = Array.from({ length: n }, (_, i) => h(i));
    const root = roundRoot(hashes);
    t.equal(root, toHex(merkleRoot(hashes.map((x) => fromHex(x)))), `n=${n}: the RFC 6962 root of the batch hashes`);
    for (let i = 0; i < n; i++) {
      const path = roundPath(hashes, i);
      if (rootOfPath(hashes[i]!, i, n, path) !== root) t.fail(`n=${n} i=${i}`);
      if (n > 1 && rootOfPath(hashes[(i + 1) % n]!, i, n, path) === root) t.fail(`n=${n} i=${i}: another leaf passed`);
      if (n > 1 && rootOfPath(hashes[i]!, (i + 1) % n, n, path) === root) t.fail(`n=${n} i=${i}: another index passed`);
    }
  }
  t.equal(roundRoot([h(1)]), toHex(leafHash(fromHex(h(1)))), 'one batch: the root is its leaf hash');
  t.equal(roundRoot([h(1), h(2)]), toHex(nodeHash(leafHash(fromHex(h(1))), leafHash(fromHex(h(2))))));
  t.throws(() => roundRoot([]), /at least one batch/);
});

// A chain stand-in: one anchored round (the RoundAnchored event as neo-go's application log carries it).
const anchorerKey = '02' + 'ab'.repeat(32);
const anchorer = addressOfKey(anchorerKey);
const routers = [new SimRouter(), new SimRouter(), new SimRouter()];
const batches: Batch[] = routers.flatMap((r) => [r.next(2), r.next(1)]);
const ordered = roundOrder(batches.map((b) => ({ router: addressOfKey(b.router), seq: b.seq, hash: b.hash, b })));
const hashes = ordered.map((x) => x.hash);
const root = roundRoot(hashes);
const TXID = '0x' + 'cd'.repeat(32);
const vm = (hash: string) => toBase64(fromHex(hash.replace(/^0x/, '')).reverse());

function node(
  o: { vmstate?: string; round?: number; root?: string; contract?: string; network?: number; anchorer?: string } = {},
): JsonRpc & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async call<T>(method: string, params: unknown[]): Promise<T> {
      calls.push(method);
      if (method === 'getversion') return { protocol: { network: o.network ?? deployment.networkMagic } } as T;
      if (method !== 'getapplicationlog') throw new Error(`unexpected ${method}`);
      if (params[0] !== TXID) throw new Error('Unknown transaction');
      return {
        executions: [
          {
            trigger: 'Application',
            vmstate: o.vmstate ?? 'HALT',
            notifications: [
              {
                contract: o.contract ?? deployment.contract,
                eventname: 'RoundAnchored',
                state: {
                  type: 'Array',
                  value: [
                    { type: 'ByteString', value: vm(scriptHashOfAddress(o.anchorer ?? anchorer)) },
                    { type: 'Integer', value: String(o.round ?? 3) },
                    { type: 'ByteString', value: toBase64(fromHex(o.root ?? root)) },
                  ],
                },
              },
            ],
          },
        ],
      } as T;
    },
  };
}

const proofOf = (i: number, over: Partial<Proof> = {}): Proof => ({
  v: 1,
  network: deployment.networkMagic,
  contract: deployment.contract,
  anchorer,
  round: 3,
  txid: TXID,
  index: i,
  size: hashes.length,
  router: ordered[i]!.router,
  seq: ordered[i]!.seq,
  leaf: hashes[i]!,
  path: roundPath(hashes, i),
  root,
  ...over,
});
const failed = (r: { steps: Array<{ what: string; ok: boolean }> }) => r.steps.filter((s) => !s.ok).map((s) => s.what);

t.test("every batch's proof verifies against the chain, with its batch and the pinned anchorer", async (t) => {
  for (let i = 0; i < ordered.length; i++) {
    const r = await verifyProof(node(), proofOf(i), { batch: ordered[i]!.b, anchorer, contract: deployment.contract.toUpperCase().replace('0X', '0x') });
    t.ok(r.ok, `batch ${i}: ${JSON.stringify(failed(r))}`);
  }
  const r = await verifyProof(node(), proofOf(0));
  t.ok(r.ok, 'without the batch and pins too');
  t.same(node().calls, []);
});

t.test('refused: a tampered batch, another batch, a proof for another round, a forged root, a wrong pin', async (t) => {
  const b = ordered[1]!.b;
  const tampered = { ...b, records: b.records.map((x, i) => (i === 0 ? { ...x, bytesDown: x.bytesDown + 1 } : x)) };
  t.match(failed(await verifyProof(node(), proofOf(1), { batch: tampered })), ['the batch verifies (records root, hash, router signature)']);
  t.match(failed(await verifyProof(node(), proofOf(1), { batch: ordered[2]!.b })), ['it is the batch the proof is for', 'its hash is the leaf']);
  t.match(failed(await verifyProof(node(), proofOf(1, { round: 2 }))), [/it anchored round 2/], 'the transaction anchored round 3');
  const forged = toHex(sha256(fromHex(root)));
  t.same(
    failed(await verifyProof(node(), proofOf(1, { root: forged }))),
    ['the path leads from the leaf to the root', `it anchored round 3 with this root, by ${anchorer}, in contract ${deployment.contract}`],
    'a forged root: the path does not lead to it, and the chain anchored another',
  );
  t.same(
    failed(await verifyProof(node({ root: forged }), proofOf(1, { root: forged, path: [] }))).length,
    1,
    'even a chain with the forged root: the path does not lead there',
  );
  t.match(failed(await verifyProof(node(), proofOf(1, { path: roundPath(hashes, 2) }))), ['the path leads from the leaf to the root']);
  t.match(failed(await verifyProof(node(), proofOf(1, { index: 2 }))), ['the path leads from the leaf to the root']);
  const other = addressOf('11'.repeat(20));
  t.match(failed(await verifyProof(node(), proofOf(1), { anchorer: other })), ['the anchorer is the pinned one']);
  t.same(
    failed(await verifyProof(node({ anchorer: other }), proofOf(1, { anchorer: other }), { anchorer })),
    ['the anchorer is the pinned one'],
    "another anchorer's own round holds up on chain, but not pinned to ours",
  );
  t.match(failed(await verifyProof(node({ contract: '0x' + '22'.repeat(20) }), proofOf(1))), [/it anchored round 3/], 'the event of another contract');
  t.match(failed(await verifyProof(node({ vmstate: 'FAULT' }), proofOf(1))), [/HALTed/, /it anchored/]);
  t.match(failed(await verifyProof(node({ network: 860833102 }), proofOf(1))), ["the node is on the proof's network"]);
  t.match(failed(await verifyProof(node(), proofOf(1, { txid: '0x' + 'ee'.repeat(32) }))), ['the chain answers']);
  t.match(failed(await verifyProof(node(), { ...proofOf(1), leaf: 'zz' })), ['the proof is well-formed']);
});
