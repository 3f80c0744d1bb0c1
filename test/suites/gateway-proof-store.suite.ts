import type { Test } from 'tap';
import { roundOrder } from '../../protocol/src/index.js';
import { SimRouter } from '../gateway-sim.js';
import { ANCHORER, cutAll, freshStores, OTHER_OWNER, routerInfo, type OpenStores } from './gateway-store-fixtures.js';

const confirmed = (at: number) => ({ status: 'confirmed' as const, vmstate: 'HALT', detail: null, gasFee: 1, at });
const anchor = (txid: string, round: number, at: number) => ({
  txid,
  kind: 'anchor' as const,
  raw: '00',
  validUntilBlock: 9,
  at,
  items: [],
  round: { anchorer: ANCHORER, round },
});

/** ProofStore: where each batch sits in a round, a round's leaves in order, each router's newest anchored round. */
export function proofStoreSuite(t: Test, open: OpenStores): void {
  const fresh = freshStores(open);

  t.test('a batch: unknown, in no round yet, in a round not anchored, anchored', async (t) => {
    const s = await fresh(t);
    const [a, b] = [new SimRouter(), new SimRouter()];
    const a1 = a.next(1);
    await s.ingest.storeBatch(a.address, a1, 1);
    t.equal(await s.proofs.locate(a.address, 2), null, 'not stored');
    t.same(await s.proofs.locate(a.address, 1), { hash: a1.hash, place: null }, 'stored, in no round');
    await s.ingest.storeBatch(b.address, b.next(1), 1);
    await s.ingest.storeBatch(a.address, a.next(1), 1);
    const r = await cutAll(s, 4, 50);
    const order = roundOrder([
      { router: a.address, seq: 1 },
      { router: a.address, seq: 2 },
      { router: b.address, seq: 1 },
    ]);
    const at = order.findIndex((x) => x.router === a.address && x.seq === 1);
    t.same(
      await s.proofs.locate(a.address, 1),
      { hash: a1.hash, place: { anchorer: ANCHORER, round: 4, index: at, size: 3, root: r.root, createdAt: 50, txid: null } },
      'in round 4 at its index, not anchored',
    );
    t.same(
      await s.proofs.roundHashes(ANCHORER, 4),
      r.batches.map((x) => x.hash),
      'the leaves in the order the round was cut',
    );
    t.same(await s.proofs.roundHashes(ANCHORER, 5), []);
    await s.settlement.addPending(anchor('0xp1', 4, 60));
    t.equal((await s.proofs.locate(a.address, 1))?.place?.txid, null, 'pending is not anchored');
    await s.settlement.settle('0xp1', { status: 'faulted', vmstate: 'FAULT', detail: 'x', gasFee: 1, at: 61 });
    await s.settlement.addPending(anchor('0xp2', 4, 62));
    await s.settlement.settle('0xp2', confirmed(63));
    t.equal((await s.proofs.locate(a.address, 1))?.place?.txid, '0xp2', 'the confirmed one, not the faulted one');
  });

  t.test("routers' newest anchored rounds, of one owner or all", async (t) => {
    const s = await fresh(t);
    const [a, b, c] = [new SimRouter(), new SimRouter(), new SimRouter()];
    await s.routers.putRouter(routerInfo(a));
    await s.routers.putRouter(routerInfo(b));
    await s.routers.putRouter(routerInfo(c, { owner: OTHER_OWNER }));
    for (const r of [a, b, c]) await s.ingest.storeBatch(r.address, r.next(1), 1);
    await cutAll(s, 1, 10);
    await s.settlement.addPending(anchor('0xq1', 1, 11));
    await s.settlement.settle('0xq1', confirmed(12));
    await s.ingest.storeBatch(a.address, a.next(1), 2);
    await s.ingest.storeBatch(a.address, a.next(1), 2);
    await cutAll(s, 2, 20);
    await s.settlement.addPending(anchor('0xq2', 2, 21));
    await s.settlement.settle('0xq2', confirmed(22));
    await s.ingest.storeBatch(a.address, a.next(1), 3);
    await cutAll(s, 3, 30);
    await s.settlement.addPending(anchor('0xq3', 3, 31)); // pending: not anchored yet
    const mine = await s.proofs.routerRounds(routerInfo(a).owner);
    const want = [
      { router: a.address, anchorer: ANCHORER, round: 2, txid: '0xq2', lastSeq: 3, anchoredBatches: 3, createdAt: 20 },
      { router: b.address, anchorer: ANCHORER, round: 1, txid: '0xq1', lastSeq: 1, anchoredBatches: 1, createdAt: 10 },
    ].sort((x, y) => (x.router < y.router ? -1 : 1));
    t.same(
      [...mine].sort((x, y) => (x.router < y.router ? -1 : 1)),
      want,
      'a: round 2 (its batches to 3; 4 is in a round still pending); b: round 1',
    );
    t.equal((await s.proofs.routerRounds()).length, 3, 'the fleet');
    t.same(
      (await s.proofs.routerRounds(OTHER_OWNER)).map((x) => [x.router, x.round]),
      [[c.address, 1]],
    );
  });
}
