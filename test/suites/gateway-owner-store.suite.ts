import type { Test } from 'tap';
import { type Batch, recordsRoot } from '../../protocol/src/index.js';
import { SimRouter } from '../gateway-sim.js';
import { ANCHORER, byRouter, cutAll, freshStores, OTHER_OWNER, OWNER, routerInfo, type OpenStores } from './gateway-store-fixtures.js';

/** OwnerViewStore: the owner's page, for one owner's routers (given the owner's script hash) or the whole fleet. */
export function ownerViewStoreSuite(t: Test, open: OpenStores): void {
  const fresh = freshStores(open);
  const [owner, other] = [OWNER, OTHER_OWNER];

  t.test('chain heads and stored batches, one owner or the fleet', async (t) => {
    const s = await fresh(t);
    const [a, b, c] = [new SimRouter(), new SimRouter(), new SimRouter()];
    await s.routers.putRouter(routerInfo(a));
    await s.routers.putRouter(routerInfo(b));
    await s.routers.putRouter(routerInfo(c, { owner: other }));
    const sent = [a.next(3, 5, 100), a.next(2)];
    for (const x of sent) await s.ingest.storeBatch(a.address, x, 100 + x.seq);
    await s.ingest.storeBatch(b.address, b.next(1), 50);
    await s.ingest.storeBatch(c.address, c.next(4), 60);
    // Text order is the database's collation, which differs between the two: compare as sets.
    t.same(
      (await s.owner.chainHeads(owner)).sort(byRouter),
      [
        { router: a.address, batches: 2, firstSeq: 1, lastSeq: 2, records: 5, lastReceivedAt: 102 },
        { router: b.address, batches: 1, firstSeq: 1, lastSeq: 1, records: 1, lastReceivedAt: 50 },
      ].sort(byRouter),
    );
    t.equal((await s.owner.chainHeads()).length, 3, 'the fleet: every router with batches');
    const strip = ({ v: _v, networkMagic: _m, contract: _c, ...rest }: Batch) => rest;
    t.same(await s.owner.storedBatches(a.address, 0, 10), sent.map(strip), 'batches come back as they were sent, records and vouchers included');
    t.same(await s.owner.storedBatches(a.address, 1, 10), [strip(sent[1]!)]);
    t.same(
      (await s.owner.storedBatches(a.address, 0, 1)).map((x) => x.seq),
      [1],
    );
    t.same(await s.owner.storedBatches(a.address, 2, 10), []);
  });

  t.test('zero-rated bytes: stored apart, summed per day, and a stored batch still verifies', async (t) => {
    const s = await fresh(t);
    const a = new SimRouter();
    await s.routers.putRouter(routerInfo(a));
    // One record with zero-rated bytes (version 2), one without (version 1) in the same batch.
    const recs = a.records(2, 5, 100).map((x, i) => (i === 0 ? { ...x, zeroDown: 7000, zeroUp: 300 } : x));
    const sent = a.build(recs);
    t.equal((await s.ingest.storeBatch(a.address, sent, 1)).kind, 'stored');
    const [back] = await s.owner.storedBatches(a.address, 0, 1);
    t.same(back!.records, sent.records, 'the records come back as sent: the zero-rated fields only where there were any');
    t.equal(recordsRoot(sent.router, back!.records), sent.root, "so the stored batch's root is the one the router signed");
    const day = new Date(recs[0]!.startMs).toISOString().slice(0, 10);
    const from = Date.parse(day);
    t.match(await s.owner.dailyTotals({ fromMs: from, toMs: from + 86_400_000, owner }), [{ day, zeroDown: 7000, zeroUp: 300 }], 'the day carries them apart');
  });

  t.test('usage and payments per day, settlement transactions with what each paid', async (t) => {
    const s = await fresh(t);
    const [a, c] = [new SimRouter(), new SimRouter()];
    await s.routers.putRouter(routerInfo(a));
    await s.routers.putRouter(routerInfo(c, { owner: other }));
    const DAY = 86_400_000;
    const day0 = Date.UTC(2023, 10, 14);
    // a: two records on 2023-11-14 (sessions 1 and 2), one a day later; c: one record on the first day.
    const recs = a.records(3, 5, 100).map((x, i) => (i === 2 ? { ...x, startMs: x.startMs + DAY, endMs: x.endMs + DAY } : x));
    await s.ingest.storeBatch(a.address, a.build(recs), 1);
    await s.ingest.storeBatch(c.address, c.next(1, 9, 50), 1);
    const range = { fromMs: day0, toMs: day0 + 3 * DAY };
    t.same(await s.owner.dailyTotals({ ...range, owner }), [
      { day: '2023-11-14', bytesDown: 3000, bytesUp: 200, zeroDown: 0, zeroUp: 0, sessions: 2, metered: 20, paid: 0 },
      { day: '2023-11-15', bytesDown: 3000, bytesUp: 100, zeroDown: 0, zeroUp: 0, sessions: 1, metered: 10, paid: 0 },
    ]);
    t.match(await s.owner.dailyTotals(range), [{ day: '2023-11-14', bytesDown: 4000, sessions: 3, metered: 30 }, { day: '2023-11-15' }], 'the fleet');
    t.same(
      await s.owner.dailyTotals({ fromMs: day0 + DAY, toMs: day0 + 2 * DAY, owner }),
      [{ day: '2023-11-15', bytesDown: 3000, bytesUp: 100, zeroDown: 0, zeroUp: 0, sessions: 1, metered: 10, paid: 0 }],
      'only days inside the range',
    );

    const redeem = (channelId: number, amount: number, o = owner) => ({ kind: 'redeem' as const, channelId, amount, owner: o });
    await cutAll(s, 1); // a's batch 1 and c's batch 1
    await s.settlement.addPending({
      txid: '0xt1',
      kind: 'redeem',
      raw: '00',
      validUntilBlock: 9,
      at: day0 + 10,
      items: [redeem(5, 100), redeem(9, 50, other)],
      round: { anchorer: ANCHORER, round: 1 },
    });
    await s.settlement.settle('0xt1', { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 7, at: day0 + 20 });
    await s.settlement.addPending({ txid: '0xt2', kind: 'redeem', raw: '00', validUntilBlock: 9, at: day0 + DAY, items: [redeem(5, 101)] });
    await s.settlement.settle('0xt2', { status: 'faulted', vmstate: 'FAULT', detail: 'boom', gasFee: 1, at: day0 + DAY + 5 });
    await s.settlement.addPending({
      txid: '0xt3',
      kind: 'redeem',
      raw: '00',
      validUntilBlock: 9,
      at: day0 + DAY + 10,
      items: [redeem(5, 102), redeem(9, 80, other)],
    });
    await s.settlement.settle('0xt3', { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 3, at: day0 + DAY + 20 });
    await s.ingest.storeBatch(c.address, c.next(1), 2);
    await cutAll(s, 2); // c's batch 2
    await s.settlement.addPending({
      txid: '0xt4',
      kind: 'anchor',
      raw: '00',
      validUntilBlock: 9,
      at: day0 + DAY + 30,
      items: [],
      round: { anchorer: ANCHORER, round: 2 },
    });
    await s.settlement.addPending({ txid: '0xt5', kind: 'redeem', raw: '00', validUntilBlock: 9, at: day0 + DAY + 40, items: [redeem(5, 110)] });

    t.match(
      await s.owner.settlementTxs({ owner, limit: 10 }),
      [
        { txid: '0xt5', status: 'pending', channels: 1, anchors: 0, paid: 8, settledAt: null },
        { txid: '0xt3', status: 'confirmed', channels: 1, anchors: 0, paid: 2, gasFee: 3 },
        { txid: '0xt2', status: 'faulted', channels: 1, paid: 0, detail: 'boom' },
        { txid: '0xt1', status: 'confirmed', channels: 1, anchors: 1, round: 1, paid: 100, settledAt: day0 + 20 },
      ],
      "the owner's: a rise over the earlier confirmed redeem; claimed while pending; nothing when faulted; the anchor of another owner's router is not theirs",
    );
    t.equal((await s.owner.settlementTxs({ owner, limit: 10 })).length, 4);
    t.match(await s.owner.settlementTxs({ limit: 2 }), [
      { txid: '0xt5', paid: 8 },
      { txid: '0xt4', kind: 'anchor', channels: 0, anchors: 1, round: 2, paid: 0 },
    ]);
    t.match(
      (await s.owner.settlementTxs({ limit: 10 })).find((x) => x.txid === '0xt1'),
      { channels: 2, anchors: 2, paid: 150 },
      'the fleet',
    );
    t.match(
      (await s.owner.settlementTxs({ owner, limit: 10 })).find((x) => x.txid === '0xt3'),
      { anchors: 0, round: null },
      'a redeem without a round',
    );
    t.same(
      (await s.owner.settlementTxs({ owner: other, limit: 10 })).map((x) => [x.txid, x.paid]),
      [
        ['0xt4', 0],
        ['0xt3', 30],
        ['0xt1', 50],
      ],
    );
    t.same(
      (await s.owner.dailyTotals({ ...range, owner })).map((d) => [d.day, d.paid]),
      [
        ['2023-11-14', 100],
        ['2023-11-15', 2],
      ],
    );
    t.same(
      (await s.owner.dailyTotals(range)).map((d) => [d.day, d.paid]),
      [
        ['2023-11-14', 150],
        ['2023-11-15', 32],
      ],
    );
    t.same(await s.owner.settlementTxs({ owner: '0x' + '99'.repeat(20), limit: 10 }), []);
    const e = (await s.reports.earnings()).find((x) => x.owner === owner);
    t.equal(e?.settled, 102, "the days' payments add up to the owner's settled earnings");
  });

  t.test('open problems grouped per router and kind', async (t) => {
    const s = await fresh(t);
    const [a, c] = [new SimRouter(), new SimRouter()];
    await s.routers.putRouter(routerInfo(a));
    await s.routers.putRouter(routerInfo(c, { owner: other }));
    const base = { router: a.address, hash: 'aa'.repeat(32), payload: null, at: 10 };
    const gap = await s.ingest.report({ ...base, kind: 'gap', seq: 7, detail: 'head is 5' }, 'held');
    await s.ingest.report({ ...base, kind: 'gap', seq: 8, detail: 'head is 5', at: 12 }, 'held');
    await s.ingest.report({ ...base, kind: 'fork', seq: 3, detail: 'previous hash is not the hash of batch 2' }, 'reported');
    await s.ingest.report({ ...base, kind: 'fork', seq: 3, detail: 'previous hash is not the hash of batch 2', at: 30 }, 'reported');
    await s.ingest.report({ router: c.address, kind: 'malformed', seq: 0, hash: '', detail: 'not JSON', payload: null, at: 5 }, 'reported');
    t.same(await s.owner.openProblems(owner), [
      {
        router: a.address,
        kind: 'fork',
        status: 'reported',
        problems: 1,
        seen: 2,
        firstSeq: 3,
        lastSeq: 3,
        lastAt: 30,
        detail: 'previous hash is not the hash of batch 2',
      },
      { router: a.address, kind: 'gap', status: 'held', problems: 2, seen: 2, firstSeq: 7, lastSeq: 8, lastAt: 12, detail: 'head is 5' },
    ]);
    t.equal((await s.owner.openProblems()).length, 3);
    await s.ingest.resolve(gap, 40);
    t.match(await s.owner.openProblems(owner), [{ kind: 'fork' }, { kind: 'gap', problems: 1, firstSeq: 8 }], 'a resolved one is gone');
  });

  t.test('the hash of one stored batch, for the audit to check a verified prefix is still what is stored', async (t) => {
    const s = await fresh(t);
    const [a, b] = [new SimRouter(), new SimRouter()];
    const [a1, a2] = [a.next(1), a.next(1)];
    await s.ingest.storeBatch(a.address, a1, 1);
    await s.ingest.storeBatch(a.address, a2, 1);
    await s.ingest.storeBatch(b.address, b.next(1), 1);
    t.equal(await s.owner.batchHash(a.address, 1), a1.hash);
    t.equal(await s.owner.batchHash(a.address, 2), a2.hash);
    t.equal(await s.owner.batchHash(a.address, 3), null, 'not stored yet');
    t.equal(await s.owner.batchHash(b.address, 2), null, "another router's chain is its own");
  });
}
