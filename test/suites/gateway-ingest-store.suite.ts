import type { Test } from 'tap';
import { SimRouter } from '../gateway-sim.js';
import { freshStores, type OpenStores } from './gateway-store-fixtures.js';

/** IngestStore: a verified batch in, once, only where it extends its router's chain; what does not fit is kept as an anomaly. */
export function ingestStoreSuite(t: Test, open: OpenStores): void {
  const fresh = freshStores(open);

  t.test('a chain of batches is stored in order, records with it; head is the newest', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    t.equal(await s.ingest.head(r.address), null, 'no batch yet: no head');
    const bs = [r.next(3), r.next(2), r.next(4)];
    for (const b of bs) t.same(await s.ingest.storeBatch(r.address, b, 10), { kind: 'stored' });
    t.same(await s.ingest.head(r.address), { seq: 3, hash: bs[2]!.hash, lastRecord: 9 });
    t.match(await s.reports.totals(), { batches: 3, records: 9 });
  });

  t.test('routers have chains of their own: the same seq and record ids for two routers', async (t) => {
    const s = await fresh(t);
    const [a, b] = [new SimRouter(), new SimRouter()];
    t.same(await s.ingest.storeBatch(a.address, a.next(2), 1), { kind: 'stored' });
    t.same(await s.ingest.storeBatch(b.address, b.next(3), 1), { kind: 'stored' }, 'seq 1 and record ids 1.. again, for another router');
    t.same(await s.ingest.head(a.address), { seq: 1, hash: a.prev, lastRecord: 2 });
    t.same(await s.ingest.head(b.address), { seq: 1, hash: b.prev, lastRecord: 3 });
    t.match(await s.reports.totals(), { batches: 2, records: 5 });
  });

  t.test('the same batch twice is stored once', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    const b = r.next(5);
    t.same(await s.ingest.storeBatch(r.address, b, 1), { kind: 'stored' });
    t.same(await s.ingest.storeBatch(r.address, b, 2), { kind: 'duplicate' });
    t.match(await s.reports.totals(), { batches: 1, records: 5 });
    t.match(await s.owner.chainHeads(), [{ lastReceivedAt: 1 }], 'the duplicate changed nothing, not even when it arrived');
  });

  t.test('concurrent deliveries of one batch: exactly one stores it', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    const b = r.next(50);
    const out = await Promise.all(Array.from({ length: 8 }, () => s.ingest.storeBatch(r.address, b, 1)));
    t.equal(out.filter((o) => o.kind === 'stored').length, 1);
    t.equal(out.filter((o) => o.kind === 'duplicate').length, 7);
    t.match(await s.reports.totals(), { batches: 1, records: 50 });
  });

  t.test('gaps and forks are refused and leave nothing behind', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    const b1 = r.next(2);
    await s.ingest.storeBatch(r.address, b1, 1);
    const b2 = r.next(2);
    const b3 = r.next(2);
    t.same(await s.ingest.storeBatch(r.address, b3, 1), { kind: 'gap', head: 1 }, 'seq 3 before seq 2');
    const other = r.build(r.records(1), { seq: 2, prev: 'ff'.repeat(32), advance: false });
    t.match(await s.ingest.storeBatch(r.address, other, 1), { kind: 'fork', reason: /previous hash/ });
    t.match(await s.reports.totals(), { batches: 1, records: 2 }, 'neither the gap nor the fork left a batch or a record');
    t.same(await s.ingest.head(r.address), { seq: 1, hash: b1.hash, lastRecord: 2 });
    t.same(await s.ingest.storeBatch(r.address, b2, 1), { kind: 'stored' });
    t.match(await s.ingest.storeBatch(r.address, other, 1), { kind: 'fork', reason: /another hash/ }, 'same seq, other hash');
    const reused = r.build([{ ...b1.records[0]!, id: 1 }], { seq: 3, prev: b2.hash, advance: false });
    t.match(await s.ingest.storeBatch(r.address, reused, 1), { kind: 'fork', reason: /record ids/ });
    const badFirst = new SimRouter().build(r.records(1), { seq: 1, prev: 'aa'.repeat(32) });
    t.match(await s.ingest.storeBatch('Nother', badFirst, 1), { kind: 'fork', reason: /zero previous/ });
    t.equal(await s.ingest.head('Nother'), null, 'a refused first batch starts no chain');
    t.same(await s.ingest.storeBatch(r.address, b3, 1), { kind: 'stored' }, 'the held batch fits once its predecessor is in');
    t.match(await s.reports.totals(), { batches: 3, records: 6 });
  });

  t.test('anomalies: one row per distinct problem, a repeat counted; held ones found by seq until resolved', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    const b = r.build(r.records(2), { seq: 4, prev: 'cc'.repeat(32) });
    const base = { router: r.address, kind: 'gap' as const, seq: 4, hash: b.hash, detail: 'head 2', payload: b, at: 10 };
    const id = await s.ingest.report(base, 'held');
    t.ok(id > 0, 'an id');
    t.equal(await s.ingest.report({ ...base, detail: 'head 3', at: 20 }, 'held'), id, 'a resend bumps the same row');
    const other = await s.ingest.report({ ...base, hash: 'dd'.repeat(32), payload: null, at: 25 }, 'held');
    t.not(other, id, 'another hash at the same seq is another problem');
    await s.ingest.report({ router: r.address, kind: 'malformed', seq: 0, hash: '', detail: 'x'.repeat(600), payload: null, at: 30 }, 'reported');
    const held = await s.ingest.held(r.address, 4);
    t.same(
      held.map((h) => h.id),
      [id, other],
      'held at seq 4, oldest first; the reported one is not held',
    );
    t.match(held[0], { id, count: 2, firstAt: 10, lastAt: 20, status: 'held', detail: 'head 3', kind: 'gap', seq: 4, hash: b.hash });
    t.same(held[0]!.payload, b, 'the whole batch comes back');
    t.same(await s.ingest.held(r.address, 5), [], 'nothing held at another seq');
    t.same(await s.ingest.held('Nnobody', 4), [], 'nor for another router');
    t.equal((await s.reports.anomalies({ status: 'reported' }))[0]?.detail.length, 500, 'details are cut at 500 characters');
    await s.ingest.resolve(id, 40);
    t.same(
      (await s.ingest.held(r.address, 4)).map((h) => h.id),
      [other],
      'resolved: no longer held',
    );
    t.match(await s.reports.anomalies({ status: 'resolved' }), [{ id, lastAt: 40 }]);
    t.match(await s.reports.totals(), { anomalies: 2 }, 'the resolved one is not open');
  });
}
