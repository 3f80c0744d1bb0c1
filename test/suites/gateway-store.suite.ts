import type { Test } from 'tap';
import type { Batch } from '../../agent/src/usage/wire.js';
import type { GatewayStore } from '../../gateway/src/store/store.js';
import { SimRouter } from '../gateway-sim.js';

/**
 * What every GatewayStore must do, run against SQLite and PostgreSQL alike
 * (test/gateway-store.{sqlite,pg}.test.ts). `open` gives an empty, migrated store.
 */
export function gatewayStoreSuite(t: Test, open: () => Promise<GatewayStore>): void {
  const fresh = async (t: Test) => {
    const s = await open();
    t.teardown(() => s.close());
    return s;
  };
  const owner = '0x' + '11'.repeat(20);
  const other = '0x' + '44'.repeat(20);
  const info = (r: SimRouter, checkedAt = 1) => ({ address: r.address, publicKey: r.publicKey, owner, pricePerMB: 1000, pricePerMinute: 50, active: true, checkedAt });

  t.test('a chain of batches is stored in order; records with it', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    const bs = [r.next(3), r.next(2), r.next(4)];
    for (const b of bs) t.same(await s.storeBatch(r.address, b, 10), { kind: 'stored' });
    t.same(await s.head(r.address), { seq: 3, hash: bs[2]!.hash, lastRecord: 9 });
    t.equal(await s.batchHash(r.address, 2), bs[1]!.hash);
    t.equal(await s.batchHash(r.address, 4), null);
    t.match(await s.totals(), { batches: 3, records: 9 });
  });

  t.test('the same batch twice is stored once', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    const b = r.next(5);
    t.same(await s.storeBatch(r.address, b, 1), { kind: 'stored' });
    t.same(await s.storeBatch(r.address, b, 2), { kind: 'duplicate' });
    t.match(await s.totals(), { batches: 1, records: 5 });
  });

  t.test('concurrent deliveries of one batch: exactly one stores it', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    const b = r.next(50);
    const out = await Promise.all(Array.from({ length: 8 }, () => s.storeBatch(r.address, b, 1)));
    t.equal(out.filter((o) => o.kind === 'stored').length, 1);
    t.equal(out.filter((o) => o.kind === 'duplicate').length, 7);
    t.match(await s.totals(), { batches: 1, records: 50 });
  });

  t.test('gaps and forks are refused and leave nothing behind', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    const b1 = r.next(2);
    await s.storeBatch(r.address, b1, 1);
    const b2 = r.next(2);
    const b3 = r.next(2);
    t.same(await s.storeBatch(r.address, b3, 1), { kind: 'gap', head: 1 }, 'seq 3 before seq 2');
    const other = r.build(r.records(1), { seq: 2, prev: 'ff'.repeat(32), advance: false });
    t.match(await s.storeBatch(r.address, other, 1), { kind: 'fork', reason: /previous hash/ });
    t.same(await s.storeBatch(r.address, b2, 1), { kind: 'stored' });
    t.match(await s.storeBatch(r.address, other, 1), { kind: 'fork', reason: /another hash/ }, 'same seq, other hash');
    const reused = r.build([{ ...b1.records[0]!, id: 1 }], { seq: 3, prev: b2.hash, advance: false });
    t.match(await s.storeBatch(r.address, reused, 1), { kind: 'fork', reason: /record ids/ });
    const badFirst = new SimRouter().build(r.records(1), { seq: 1, prev: 'aa'.repeat(32) });
    t.match(await s.storeBatch('Nother', badFirst, 1), { kind: 'fork', reason: /zero previous/ });
    t.same(await s.storeBatch(r.address, b3, 1), { kind: 'stored' }, 'the held batch fits once its predecessor is in');
    t.match(await s.totals(), { batches: 3, records: 6 });
  });

  t.test('routers cache: put, update, list', async (t) => {
    const s = await fresh(t);
    const [a, b] = [new SimRouter(), new SimRouter()];
    await s.putRouter(info(a));
    await s.putRouter(info(b));
    await s.putRouter({ ...info(a, 5), active: false, pricePerMB: 7 });
    t.match(await s.getRouter(a.address), { publicKey: a.publicKey, active: false, pricePerMB: 7, checkedAt: 5 });
    t.equal(await s.getRouter('Nnobody'), null);
    t.equal((await s.listRouters()).length, 2);
  });

  t.test('anomalies: one row per distinct problem, held ones found by seq, resolved', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    const b = r.build(r.records(2), { seq: 4, prev: 'cc'.repeat(32) });
    const base = { router: r.address, kind: 'gap' as const, seq: 4, hash: b.hash, detail: 'head 2', payload: b, at: 10 };
    const id = await s.report(base, 'held');
    t.equal(await s.report({ ...base, at: 20 }, 'held'), id, 'a resend bumps the same row');
    await s.report({ router: r.address, kind: 'malformed', seq: 0, hash: '', detail: 'not JSON', payload: null, at: 30 }, 'reported');
    const held = await s.held(r.address, 4);
    t.equal(held.length, 1);
    t.match(held[0], { id, count: 2, firstAt: 10, lastAt: 20, status: 'held' });
    t.same(held[0]!.payload, b, 'the whole batch comes back');
    t.equal((await s.anomalies({})).length, 2);
    t.equal((await s.anomalies({ status: 'reported' }))[0]?.kind, 'malformed');
    await s.resolve(id, 40);
    t.same(await s.held(r.address, 4), []);
    t.match(await s.totals(), { anomalies: 1 });
  });

  t.test('acks are counted per batch', async (t) => {
    const s = await fresh(t);
    await s.noteAcks('Nx', [1, 2], 5);
    await s.noteAcks('Nx', [2], 6);
    t.pass('upsert works');
  });

  t.test('reports: usage per day, sessions, earnings', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    await s.putRouter(info(r));
    await s.storeBatch(r.address, r.next(3, 5, 100), 1);
    await s.storeBatch(r.address, r.next(3), 1);
    const days = await s.usagePerDay({});
    t.same(days.map((d) => [d.day, d.records, d.sessions]), [['2023-11-14', 6, 3]]);
    t.equal(days[0]!.bytesDown, 2 * (1000 + 2000 + 3000));
    t.equal(days[0]!.cost, 30);
    t.same(await s.usagePerDay({ router: 'Nnobody' }), []);
    const ss = await s.sessions({ router: r.address });
    t.equal(ss.length, 3);
    t.match(ss.find((x) => x.sessionId === 3), { channelId: 5, voucherAmount: 102, records: undefined });
    t.same(await s.earnings(), [{ owner, routers: 1, metered: 30, settled: 0 }]);
  });

  t.test('settlement bookkeeping: pending covers, confirmed pays, faulted frees', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    await s.putRouter(info(r));
    await s.storeBatch(r.address, r.next(2, 7, 500), 1);
    await s.storeBatch(r.address, r.next(1, 8, 900), 1);
    t.same((await s.vouchersToRedeem(10)).map((v) => [v.channelId, v.amount]), [[7, 501], [8, 900]]);
    t.equal((await s.batchesToAnchor(10)).length, 2);
    await s.addPending({ txid: '0xa1', kind: 'redeem', raw: '00', validUntilBlock: 100, at: 5, items: [
      { kind: 'redeem', channelId: 7, amount: 501, owner }, { kind: 'redeem', channelId: 8, amount: 900, owner }] });
    await s.addPending({ txid: '0xb1', kind: 'anchor', raw: '01', validUntilBlock: 100, at: 6, items: [{ kind: 'anchor', router: r.address, seq: 1 }] });
    t.same(await s.vouchersToRedeem(10), [], 'a pending redeem covers its vouchers');
    t.equal(await s.pendingFor(8), '0xa1', 'the pending transaction that carries a channel');
    t.equal(await s.pendingFor(9), null);
    t.same((await s.batchesToAnchor(10)).map((b) => [b.seq, b.routerKey]), [[2, r.publicKey]]);
    t.same((await s.pendingRaw()).map((p) => p.txid), ['0xa1', '0xb1']);
    await s.settle('0xa1', { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 123, at: 9 });
    await s.settle('0xa1', { status: 'faulted', vmstate: 'FAULT', detail: 'late', gasFee: 1, at: 10 });
    t.match(await s.transactions({ status: 'confirmed' }), [{ txid: '0xa1', items: 2, gasFee: 123, settledAt: 9 }], 'settles once');
    t.match(await s.earnings(), [{ owner, settled: 1401 }]);
    await s.settle('0xb1', { status: 'faulted', vmstate: 'FAULT', detail: 'x', gasFee: 0, at: 11 });
    t.equal((await s.batchesToAnchor(10)).length, 2, 'a faulted anchor is built again');
    await s.storeBatch(r.address, r.next(1, 7, 800), 1);
    t.same((await s.vouchersToRedeem(10)).map((v) => [v.channelId, v.amount]), [[7, 800]], 'a newer voucher is due again');
    t.equal((await s.transactions({})).length, 2);
    t.equal(await s.pendingFor(8), null, 'settled: no longer pending');
  });
  t.test('owner\'s view: chain heads and stored batches, one owner or the fleet', async (t) => {
    const s = await fresh(t);
    const [a, b, c] = [new SimRouter(), new SimRouter(), new SimRouter()];
    await s.putRouter(info(a));
    await s.putRouter(info(b));
    await s.putRouter({ ...info(c), owner: other });
    const sent = [a.next(3, 5, 100), a.next(2)];
    for (const x of sent) await s.storeBatch(a.address, x, 100 + x.seq);
    await s.storeBatch(b.address, b.next(1), 50);
    await s.storeBatch(c.address, c.next(4), 60);
    // Text order is the database's collation, which differs between the two: compare as sets.
    const byRouter = (x: { router: string }, y: { router: string }) => (x.router < y.router ? -1 : 1);
    t.same((await s.chainHeads(owner)).sort(byRouter), [
      { router: a.address, batches: 2, firstSeq: 1, lastSeq: 2, records: 5, lastReceivedAt: 102 },
      { router: b.address, batches: 1, firstSeq: 1, lastSeq: 1, records: 1, lastReceivedAt: 50 },
    ].sort(byRouter));
    t.equal((await s.chainHeads()).length, 3, 'the fleet: every router with batches');
    const strip = ({ v: _v, networkMagic: _m, contract: _c, ...rest }: Batch) => rest;
    t.same(await s.storedBatches(a.address, 0, 10), sent.map(strip), 'batches come back as they were sent, records and vouchers included');
    t.same(await s.storedBatches(a.address, 1, 10), [strip(sent[1]!)]);
    t.same((await s.storedBatches(a.address, 0, 1)).map((x) => x.seq), [1]);
    t.same(await s.storedBatches(a.address, 2, 10), []);
  });

  t.test('owner\'s view: usage and payments per day, settlement transactions with what each paid', async (t) => {
    const s = await fresh(t);
    const [a, c] = [new SimRouter(), new SimRouter()];
    await s.putRouter(info(a));
    await s.putRouter({ ...info(c), owner: other });
    const DAY = 86_400_000;
    const day0 = Date.UTC(2023, 10, 14);
    // a: two records on 2023-11-14 (sessions 1 and 2), one a day later; c: one record on the first day.
    const recs = a.records(3, 5, 100).map((x, i) => (i === 2 ? { ...x, startMs: x.startMs + DAY, endMs: x.endMs + DAY } : x));
    await s.storeBatch(a.address, a.build(recs), 1);
    await s.storeBatch(c.address, c.next(1, 9, 50), 1);
    const range = { fromMs: day0, toMs: day0 + 3 * DAY };
    t.same(await s.dailyTotals({ ...range, owner }), [
      { day: '2023-11-14', bytesDown: 3000, bytesUp: 200, sessions: 2, metered: 20, paid: 0 },
      { day: '2023-11-15', bytesDown: 3000, bytesUp: 100, sessions: 1, metered: 10, paid: 0 },
    ]);
    t.match(await s.dailyTotals(range), [{ day: '2023-11-14', bytesDown: 4000, sessions: 3, metered: 30 }, { day: '2023-11-15' }], 'the fleet');
    t.same(await s.dailyTotals({ fromMs: day0 + DAY, toMs: day0 + 2 * DAY, owner }), [
      { day: '2023-11-15', bytesDown: 3000, bytesUp: 100, sessions: 1, metered: 10, paid: 0 }], 'only days inside the range');

    const redeem = (channelId: number, amount: number, o = owner) => ({ kind: 'redeem' as const, channelId, amount, owner: o });
    await s.addPending({ txid: '0xt1', kind: 'redeem', raw: '00', validUntilBlock: 9, at: day0 + 10, items: [
      redeem(5, 100), redeem(9, 50, other), { kind: 'anchor', router: a.address, seq: 1 }, { kind: 'anchor', router: c.address, seq: 1 }] });
    await s.settle('0xt1', { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 7, at: day0 + 20 });
    await s.addPending({ txid: '0xt2', kind: 'redeem', raw: '00', validUntilBlock: 9, at: day0 + DAY, items: [redeem(5, 101)] });
    await s.settle('0xt2', { status: 'faulted', vmstate: 'FAULT', detail: 'boom', gasFee: 1, at: day0 + DAY + 5 });
    await s.addPending({ txid: '0xt3', kind: 'redeem', raw: '00', validUntilBlock: 9, at: day0 + DAY + 10, items: [redeem(5, 102), redeem(9, 80, other)] });
    await s.settle('0xt3', { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 3, at: day0 + DAY + 20 });
    await s.addPending({ txid: '0xt4', kind: 'anchor', raw: '00', validUntilBlock: 9, at: day0 + DAY + 30, items: [{ kind: 'anchor', router: c.address, seq: 2 }] });
    await s.addPending({ txid: '0xt5', kind: 'redeem', raw: '00', validUntilBlock: 9, at: day0 + DAY + 40, items: [redeem(5, 110)] });

    t.match(await s.settlementTxs({ owner, limit: 10 }), [
      { txid: '0xt5', status: 'pending', channels: 1, anchors: 0, paid: 8, settledAt: null },
      { txid: '0xt3', status: 'confirmed', channels: 1, anchors: 0, paid: 2, gasFee: 3 },
      { txid: '0xt2', status: 'faulted', channels: 1, paid: 0, detail: 'boom' },
      { txid: '0xt1', status: 'confirmed', channels: 1, anchors: 1, paid: 100, settledAt: day0 + 20 },
    ], 'the owner\'s: a rise over the earlier confirmed redeem; claimed while pending; nothing when faulted; the anchor of another owner\'s router is not theirs');
    t.equal((await s.settlementTxs({ owner, limit: 10 })).length, 4);
    t.match(await s.settlementTxs({ limit: 2 }), [{ txid: '0xt5', paid: 8 }, { txid: '0xt4', kind: 'anchor', channels: 0, anchors: 1, paid: 0 }]);
    t.match((await s.settlementTxs({ limit: 10 })).find((x) => x.txid === '0xt1'), { channels: 2, anchors: 2, paid: 150 }, 'the fleet');
    t.same((await s.settlementTxs({ owner: other, limit: 10 })).map((x) => [x.txid, x.paid]), [['0xt4', 0], ['0xt3', 30], ['0xt1', 50]]);
    t.same((await s.dailyTotals({ ...range, owner })).map((d) => [d.day, d.paid]), [['2023-11-14', 100], ['2023-11-15', 2]]);
    t.same((await s.dailyTotals(range)).map((d) => [d.day, d.paid]), [['2023-11-14', 150], ['2023-11-15', 32]]);
    t.same(await s.settlementTxs({ owner: '0x' + '99'.repeat(20), limit: 10 }), []);
    const e = (await s.earnings()).find((x) => x.owner === owner);
    t.equal(e?.settled, 102, 'the days\' payments add up to the owner\'s settled earnings');
  });

  t.test('owner\'s view: open problems grouped per router and kind', async (t) => {
    const s = await fresh(t);
    const [a, c] = [new SimRouter(), new SimRouter()];
    await s.putRouter(info(a));
    await s.putRouter({ ...info(c), owner: other });
    const base = { router: a.address, hash: 'aa'.repeat(32), payload: null, at: 10 };
    const gap = await s.report({ ...base, kind: 'gap', seq: 7, detail: 'head is 5' }, 'held');
    await s.report({ ...base, kind: 'gap', seq: 8, detail: 'head is 5', at: 12 }, 'held');
    await s.report({ ...base, kind: 'fork', seq: 3, detail: 'previous hash is not the hash of batch 2' }, 'reported');
    await s.report({ ...base, kind: 'fork', seq: 3, detail: 'previous hash is not the hash of batch 2', at: 30 }, 'reported');
    await s.report({ router: c.address, kind: 'malformed', seq: 0, hash: '', detail: 'not JSON', payload: null, at: 5 }, 'reported');
    t.same(await s.openProblems(owner), [
      { router: a.address, kind: 'fork', status: 'reported', problems: 1, seen: 2, firstSeq: 3, lastSeq: 3, lastAt: 30, detail: 'previous hash is not the hash of batch 2' },
      { router: a.address, kind: 'gap', status: 'held', problems: 2, seen: 2, firstSeq: 7, lastSeq: 8, lastAt: 12, detail: 'head is 5' },
    ]);
    t.equal((await s.openProblems()).length, 3);
    await s.resolve(gap, 40);
    t.match(await s.openProblems(owner), [{ kind: 'fork' }, { kind: 'gap', problems: 1, firstSeq: 8 }], 'a resolved one is gone');
  });

  t.test('vouchers passed on over the RPC: only the newest kept, settled with the records\' ones', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    await s.putRouter(info(r));
    await s.storeBatch(r.address, r.next(1, 7, 500), 1);
    const sig = 'cd'.repeat(64);
    t.equal(await s.putVoucher({ channelId: 7, amount: 400, signature: sig, router: r.address, at: 2 }), false, 'below the record\'s 500: not kept');
    t.equal(await s.putVoucher({ channelId: 7, amount: 600, signature: sig, router: r.address, at: 3 }), true);
    t.equal(await s.putVoucher({ channelId: 9, amount: 50, signature: sig, router: r.address, at: 3 }), true);
    t.equal(await s.putVoucher({ channelId: 9, amount: 50, signature: sig, router: r.address, at: 4 }), false, 'a repeat is not kept');
    t.same(await s.newestVoucher(7), { amount: 600, signature: sig, router: r.address });
    t.equal(await s.newestVoucher(8), null);
    t.same((await s.vouchersToRedeem(10)).map((v) => [v.channelId, v.amount]), [[7, 600], [9, 50]]);
    await s.addPending({ txid: '0xc1', kind: 'redeem', raw: '00', validUntilBlock: 9, at: 5, items: [{ kind: 'redeem', channelId: 7, amount: 600, owner }] });
    t.same((await s.vouchersToRedeem(10)).map((v) => [v.channelId, v.amount]), [[9, 50]]);
  });
}
