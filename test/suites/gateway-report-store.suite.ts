import type { Test } from 'tap';
import type { GatewayStores, TxItem } from '../../gateway/src/store/store.js';
import { SimRouter } from '../gateway-sim.js';
import { ANCHORER, byRouter, cutAll, freshStores, OTHER_OWNER, OWNER, routerInfo, type OpenStores } from './gateway-store-fixtures.js';

const DAY = 86_400_000;
const DAY0 = Date.UTC(2023, 10, 14); // SimRouter's records start late on 2023-11-14 (UTC)

/**
 * Router a: sessions 1, 2, 3 on 2023-11-14 and session 1 again on the 15th, on
 * channel 5 (10 a record, vouchers 100-103); router b: sessions 1, 2, 3, 1
 * on the 14th, free. Both registered to OWNER.
 */
async function usage(s: GatewayStores): Promise<{ a: SimRouter; b: SimRouter }> {
  const [a, b] = [new SimRouter(), new SimRouter()];
  await s.routers.putRouter(routerInfo(a));
  await s.routers.putRouter(routerInfo(b));
  const recs = a.records(4, 5, 100).map((x, i) => (i === 3 ? { ...x, startMs: x.startMs + DAY, endMs: x.endMs + DAY } : x));
  await s.ingest.storeBatch(a.address, a.build(recs), 1);
  await s.ingest.storeBatch(b.address, b.next(4), 1);
  return { a, b };
}

const tx = (txid: string, at: number, items: TxItem[]) => ({ txid, kind: 'redeem' as const, raw: '00', validUntilBlock: 100, at, items });
const redeem = (channelId: number, amount: number, owner = OWNER): TxItem => ({ kind: 'redeem', channelId, amount, owner });

/** ReportStore: what the operator API lists and counts. */
export function reportStoreSuite(t: Test, open: OpenStores): void {
  const fresh = freshStores(open);

  t.test('totals: batches, records, open anomalies, pending transactions', async (t) => {
    const s = await fresh(t);
    t.same(await s.reports.totals(), { batches: 0, records: 0, anomalies: 0, pendingTxs: 0 });
    const r = new SimRouter();
    await s.ingest.storeBatch(r.address, r.next(3), 1);
    await s.ingest.storeBatch(r.address, r.next(2), 1);
    const base = { router: r.address, hash: '', payload: null, detail: 'x', at: 1 };
    const gone = await s.ingest.report({ ...base, kind: 'malformed', seq: 0 }, 'reported');
    await s.ingest.report({ ...base, kind: 'oversized', seq: 0 }, 'reported');
    await s.ingest.resolve(gone, 2);
    await s.settlement.addPending(tx('0x01', 1, [redeem(1, 1)]));
    await s.settlement.addPending(tx('0x02', 2, [redeem(2, 1)]));
    await s.settlement.settle('0x01', { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 0, at: 3 });
    t.same(await s.reports.totals(), { batches: 2, records: 5, anomalies: 1, pendingTxs: 1 });
  });

  t.test('usage per day: by UTC day and router, within the range', async (t) => {
    const s = await fresh(t);
    const { a, b } = await usage(s);
    const sorted = (ds: Array<{ day: string; router: string }>) => ds.sort((x, y) => x.day.localeCompare(y.day) || byRouter(x, y));
    const a14 = {
      day: '2023-11-14',
      router: a.address,
      sessions: 3,
      records: 3,
      bytesDown: 6000,
      bytesUp: 300,
      zeroDown: 0,
      zeroUp: 0,
      seconds: 180,
      cost: 30,
    };
    const b14 = {
      day: '2023-11-14',
      router: b.address,
      sessions: 3,
      records: 4,
      bytesDown: 10000,
      bytesUp: 400,
      zeroDown: 0,
      zeroUp: 0,
      seconds: 240,
      cost: 0,
    };
    const a15 = { day: '2023-11-15', router: a.address, sessions: 1, records: 1, bytesDown: 4000, bytesUp: 100, zeroDown: 0, zeroUp: 0, seconds: 60, cost: 10 };
    t.same(sorted(await s.reports.usagePerDay({})), sorted([a14, b14, a15]));
    t.same(await s.reports.usagePerDay({ router: a.address }), [a14, a15], 'one router, oldest day first');
    t.same(await s.reports.usagePerDay({ fromMs: DAY0 + DAY }), [a15], 'from: records starting at or after it');
    t.same(sorted(await s.reports.usagePerDay({ toMs: DAY0 + DAY })), sorted([a14, b14]), 'to: records starting before it');
    t.match(await s.reports.usagePerDay({ limit: 2 }), [{ day: '2023-11-14' }, { day: '2023-11-14' }], 'at most limit, oldest first');
    t.same(await s.reports.usagePerDay({ router: 'Nnobody' }), []);
  });

  t.test('sessions: one row per router and session, the most recently ended first', async (t) => {
    const s = await fresh(t);
    const { a, b } = await usage(s);
    const start = 1_700_000_000_000;
    const min = 60_000;
    const one = {
      router: a.address,
      sessionId: 1,
      channelId: 5,
      startMs: start,
      endMs: start + 4 * min + DAY,
      bytesDown: 5000,
      bytesUp: 200,
      zeroDown: 0,
      zeroUp: 0,
      seconds: 120,
      cost: 20,
      voucherAmount: 103,
    };
    const three = {
      router: a.address,
      sessionId: 3,
      channelId: 5,
      startMs: start + 2 * min,
      endMs: start + 3 * min,
      bytesDown: 3000,
      bytesUp: 100,
      zeroDown: 0,
      zeroUp: 0,
      seconds: 60,
      cost: 10,
      voucherAmount: 102,
    };
    const two = {
      router: a.address,
      sessionId: 2,
      channelId: 5,
      startMs: start + min,
      endMs: start + 2 * min,
      bytesDown: 2000,
      bytesUp: 100,
      zeroDown: 0,
      zeroUp: 0,
      seconds: 60,
      cost: 10,
      voucherAmount: 101,
    };
    t.same(await s.reports.sessions({ router: a.address }), [one, three, two], "a session's records summed; its newest voucher");
    t.same(await s.reports.sessions({ router: a.address, limit: 1 }), [one], 'at most limit');
    t.same(
      await s.reports.sessions({ router: a.address, fromMs: DAY0 + DAY }),
      [{ ...one, startMs: start + 3 * min + DAY, bytesDown: 4000, bytesUp: 100, seconds: 60, cost: 10 }],
      'only the records inside the range',
    );
    t.match((await s.reports.sessions({ router: b.address }))[0], { channelId: null, voucherAmount: 0, cost: 0 }, 'a free session: no channel, no voucher');
    t.equal((await s.reports.sessions({})).length, 6, 'every router');
  });

  t.test("earnings: metered per owner from the records; settled from each channel's newest confirmed redeem", async (t) => {
    const s = await fresh(t);
    await usage(s);
    await s.routers.putRouter(routerInfo(new SimRouter(), { owner: OTHER_OWNER }));
    const stranger = '0x' + '99'.repeat(20);
    await s.settlement.addPending(tx('0x01', 1, [redeem(5, 100)]));
    await s.settlement.addPending(tx('0x02', 2, [redeem(5, 150), redeem(9, 70, OTHER_OWNER), redeem(4, 5, stranger)]));
    await s.settlement.addPending(tx('0x03', 3, [redeem(5, 200)]));
    await s.settlement.addPending(tx('0x04', 4, [redeem(5, 300)]));
    for (const id of ['0x01', '0x02']) await s.settlement.settle(id, { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 0, at: 9 });
    await s.settlement.settle('0x03', { status: 'faulted', vmstate: 'FAULT', detail: 'boom', gasFee: 0, at: 9 });
    t.same(
      await s.reports.earnings(),
      [
        { owner: OWNER, routers: 2, metered: 40, settled: 150 },
        { owner: OTHER_OWNER, routers: 1, metered: 0, settled: 70 },
        { owner: stranger, routers: 0, metered: 0, settled: 5 },
      ],
      'the faulted 200 and the pending 300 are not settled; an owner without routers still shows what was paid',
    );
  });

  t.test('transactions: newest first, by status, at most limit, with their item count', async (t) => {
    const s = await fresh(t);
    await s.settlement.addPending(tx('0x01', 1, [redeem(1, 1), redeem(2, 1)]));
    await s.settlement.addPending(tx('0x02', 2, [redeem(3, 1)]));
    const r = new SimRouter();
    await s.ingest.storeBatch(r.address, r.next(1), 1);
    await cutAll(s, 1);
    await s.settlement.addPending({ ...tx('0x03', 3, []), kind: 'anchor', round: { anchorer: ANCHORER, round: 1 } });
    await s.settlement.settle('0x01', { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 12, at: 5 });
    await s.settlement.settle('0x02', { status: 'faulted', vmstate: 'FAULT', detail: 'boom', gasFee: 3, at: 6 });
    t.same(
      (await s.reports.transactions({})).map((x) => x.txid),
      ['0x03', '0x02', '0x01'],
    );
    t.same(await s.reports.transactions({ status: 'faulted' }), [
      {
        txid: '0x02',
        kind: 'redeem',
        status: 'faulted',
        validUntilBlock: 100,
        items: 1,
        round: null,
        createdAt: 2,
        settledAt: 6,
        vmstate: 'FAULT',
        detail: 'boom',
        gasFee: 3,
      },
    ]);
    t.same(await s.reports.transactions({ status: 'pending' }), [
      {
        txid: '0x03',
        kind: 'anchor',
        status: 'pending',
        validUntilBlock: 100,
        items: 0,
        round: 1,
        createdAt: 3,
        settledAt: null,
        vmstate: null,
        detail: null,
        gasFee: null,
      },
    ]);
    t.match(await s.reports.transactions({ status: 'confirmed' }), [{ txid: '0x01', items: 2, gasFee: 12 }]);
    t.same(
      (await s.reports.transactions({ limit: 2 })).map((x) => x.txid),
      ['0x03', '0x02'],
      'at most limit',
    );
  });

  t.test('anomalies: the most recently seen first, by status and router, at most limit', async (t) => {
    const s = await fresh(t);
    const [a, b] = [new SimRouter(), new SimRouter()];
    const held = a.build(a.records(1), { seq: 3, prev: 'cc'.repeat(32) });
    const gap = await s.ingest.report({ router: a.address, kind: 'gap', seq: 3, hash: held.hash, detail: 'head is 1', payload: held, at: 10 }, 'held');
    const bad = await s.ingest.report({ router: a.address, kind: 'malformed', seq: 0, hash: '', detail: 'not JSON', payload: null, at: 30 }, 'reported');
    const fork = await s.ingest.report({ router: b.address, kind: 'fork', seq: 2, hash: 'ee'.repeat(32), detail: 'prev', payload: null, at: 20 }, 'reported');
    const ids = async (o: Parameters<GatewayStores['reports']['anomalies']>[0]) => (await s.reports.anomalies(o)).map((x) => x.id);
    t.same(await ids({}), [bad, fork, gap]);
    t.same(await ids({ status: 'reported' }), [bad, fork]);
    t.same(await ids({ router: b.address }), [fork]);
    t.same(await ids({ status: 'reported', router: a.address }), [bad]);
    t.same(await ids({ limit: 1 }), [bad], 'at most limit');
    t.same((await s.reports.anomalies({ status: 'held' }))[0]?.payload, held, 'a held batch comes back whole');
    t.same(await s.reports.anomalies({ status: 'resolved' }), []);
  });
}
