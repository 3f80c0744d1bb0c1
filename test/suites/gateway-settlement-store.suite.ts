import type { Test } from 'tap';
import type { RoundRef, TxItem } from '../../gateway/src/store/store.js';
import { roundOrder, roundRoot } from '../../protocol/src/index.js';
import { SimRouter } from '../gateway-sim.js';
import { ANCHORER, cutAll, freshStores, OWNER, routerInfo, type OpenStores } from './gateway-store-fixtures.js';

const pending = (txid: string, items: TxItem[], at = 5, round?: RoundRef) => ({
  txid,
  kind: items.length ? ('redeem' as const) : ('anchor' as const),
  raw: `raw-${txid}`,
  validUntilBlock: 100,
  at,
  items,
  ...(round ? { round } : {}),
});
const anchoring = (txid: string, round: number, at = 5) => pending(txid, [], at, { anchorer: ANCHORER, round });
const redeem = (channelId: number, amount: number): TxItem => ({ kind: 'redeem', channelId, amount, owner: OWNER });
const confirmed = (at: number) => ({ status: 'confirmed' as const, vmstate: 'HALT', detail: null, gasFee: 123, at });
const faulted = (at: number) => ({ status: 'faulted' as const, vmstate: 'FAULT', detail: 'boom', gasFee: 1, at });

/**
 * SettlementStore: a transaction is recorded before it is sent and settled
 * once on its application log; what a pending or confirmed one carries is
 * never built into another, what a faulted or expired one carried is due again.
 */
export function settlementStoreSuite(t: Test, open: OpenStores): void {
  const fresh = freshStores(open);

  t.test('vouchers refused at ingest are never redeemed, closed or answered, but the batch keeps their bytes', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    await s.routers.putRouter(routerInfo(r));
    const recs = r.records(3, 7, 500);
    const b = r.build(recs);
    await s.ingest.storeBatch(r.address, b, 1, new Set([recs[2]!.id]));
    t.same(
      (await s.settlement.vouchersToRedeem(10)).map((v) => [v.channelId, v.amount]),
      [[7, 501]],
      'the refused 502 is not the newest',
    );
    t.equal((await s.settlement.newestVoucher(7))?.amount, 501, 'nor for a close or the channel RPC');
    t.equal((await s.reports.sessions({ router: r.address })).find((x) => x.sessionId === recs[2]!.sessionId)?.voucherAmount, 0, 'nor in the sessions report');
    const [stored] = await s.owner.storedBatches(r.address, 0, 1);
    t.same(stored?.records, recs, 'the stored records are as signed, refused voucher included: the batch still verifies');
    await s.ingest.storeBatch(r.address, r.next(1, 7, 900), 1, new Set([999]));
    t.equal((await s.settlement.newestVoucher(7))?.amount, 900, 'ids of other records refuse nothing');
  });

  t.test("vouchers to redeem: each channel's newest; covered while pending or confirmed, due again when faulted or topped", async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    await s.routers.putRouter(routerInfo(r));
    await s.ingest.storeBatch(r.address, r.next(2, 7, 500), 1);
    await s.ingest.storeBatch(r.address, r.next(1, 8, 900), 1);
    t.same(
      await s.settlement.vouchersToRedeem(10),
      [
        { channelId: 7, amount: 501, signature: 'ab'.repeat(64), router: r.address },
        { channelId: 8, amount: 900, signature: 'ab'.repeat(64), router: r.address },
      ],
      'the newest of each channel (501 over 500), by channel',
    );
    t.same(
      (await s.settlement.vouchersToRedeem(1)).map((v) => v.channelId),
      [7],
      'at most limit',
    );
    await s.settlement.addPending(pending('0xa1', [redeem(7, 501), redeem(8, 900)]));
    t.same(await s.settlement.vouchersToRedeem(10), [], 'a pending redeem covers its vouchers');
    await s.settlement.settle('0xa1', faulted(9));
    t.same(
      (await s.settlement.vouchersToRedeem(10)).map((v) => [v.channelId, v.amount]),
      [
        [7, 501],
        [8, 900],
      ],
      'a faulted one frees them',
    );
    await s.settlement.addPending(pending('0xa2', [redeem(7, 501), redeem(8, 900)]));
    await s.settlement.settle('0xa2', confirmed(10));
    t.same(await s.settlement.vouchersToRedeem(10), [], 'a confirmed redeem covers them for good');
    await s.ingest.storeBatch(r.address, r.next(1, 7, 800), 1);
    t.same(
      (await s.settlement.vouchersToRedeem(10)).map((v) => [v.channelId, v.amount]),
      [[7, 800]],
      'a newer voucher is due again',
    );
  });

  t.test('round queue: every stored batch waits for a round once, duplicates and refusals not at all; a round takes its batches', async (t) => {
    const s = await fresh(t);
    const [a, b] = [new SimRouter(), new SimRouter()];
    const a1 = a.next(1);
    await s.ingest.storeBatch(a.address, a1, 1);
    await s.ingest.storeBatch(a.address, a1, 2);
    await s.ingest.storeBatch(a.address, a.build(a.records(1), { seq: 3, advance: false }), 2);
    await s.ingest.storeBatch(b.address, b.next(1), 3);
    await s.ingest.storeBatch(a.address, a.next(2), 4);
    const q = await s.settlement.roundQueue(10);
    t.same(
      q.map((x) => [x.router, x.seq]),
      [
        [a.address, 1],
        [b.address, 1],
        [a.address, 2],
      ],
      'oldest first; the duplicate once, the gap not at all',
    );
    t.same(q[0], { router: a.address, seq: 1, hash: a1.hash }, 'what a leaf is made of');
    t.same((await s.settlement.roundQueue(2)).length, 2, 'at most limit');
    const r1 = await cutAll(s, 1, 7);
    t.same(await s.settlement.roundQueue(10), [], 'the round took them all');
    t.same(await s.settlement.lastRound(ANCHORER), { round: 1, root: r1.root, createdAt: 7 });
    t.equal(await s.settlement.lastRound('0x' + '78'.repeat(20)), null, 'another anchorer has no round');
    await s.ingest.storeBatch(b.address, b.next(1), 9);
    t.same(
      (await s.settlement.roundQueue(10)).map((x) => [x.router, x.seq]),
      [[b.address, 2]],
      'a later batch waits for the next round',
    );
  });

  t.test('a round is written whole or not at all: a batch in two rounds, a round twice, a batch never stored are refused', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    const [b1, b2] = [r.next(1), r.next(1)];
    await s.ingest.storeBatch(r.address, b1, 1);
    await s.ingest.storeBatch(r.address, b2, 1);
    const one = [{ router: r.address, seq: 1, hash: b1.hash }];
    await s.settlement.cutRound({ anchorer: ANCHORER, round: 1, root: roundRoot([b1.hash]), batches: one, at: 1 });
    const both = roundOrder(await s.settlement.roundQueue(10)).concat(one);
    await t.rejects(
      s.settlement.cutRound({ anchorer: ANCHORER, round: 2, root: roundRoot(both.map((x) => x.hash)), batches: both, at: 2 }),
      'batch 1 is in round 1 already',
    );
    t.same(
      (await s.settlement.roundQueue(10)).map((x) => x.seq),
      [2],
      'nothing of the refused round was written: batch 2 still waits',
    );
    t.equal((await s.settlement.lastRound(ANCHORER))?.round, 1);
    const two = [{ router: r.address, seq: 2, hash: b2.hash }];
    await t.rejects(s.settlement.cutRound({ anchorer: ANCHORER, round: 1, root: roundRoot([b2.hash]), batches: two, at: 3 }), 'round 1 twice');
    await t.rejects(
      s.settlement.cutRound({ anchorer: ANCHORER, round: 2, root: 'ab'.repeat(32), batches: [{ router: r.address, seq: 9, hash: 'ab'.repeat(32) }], at: 3 }),
      'a batch that is not stored',
    );
    t.same(
      (await s.settlement.roundQueue(10)).map((x) => x.seq),
      [2],
    );
    await s.settlement.cutRound({ anchorer: ANCHORER, round: 2, root: roundRoot([b2.hash]), batches: two, at: 4 });
    t.same(await s.proofs.roundHashes(ANCHORER, 2), [b2.hash]);
  });

  t.test('open rounds: until a confirmed transaction anchors them; their pending one, their transactions; late confirmation of an expired one', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    await s.ingest.storeBatch(r.address, r.next(1), 1);
    const r1 = await cutAll(s, 1, 10);
    await s.ingest.storeBatch(r.address, r.next(1), 11);
    const r2 = await cutAll(s, 2, 20);
    t.same(
      await s.settlement.openRounds(ANCHORER),
      [
        { anchorer: ANCHORER, round: 1, root: r1.root, size: 1, createdAt: 10, pending: null },
        { anchorer: ANCHORER, round: 2, root: r2.root, size: 1, createdAt: 20, pending: null },
      ],
      'oldest first, none on its way',
    );
    await s.settlement.addPending(anchoring('0xr1', 1, 30));
    t.match(
      await s.settlement.openRounds(ANCHORER),
      [
        { round: 1, pending: '0xr1' },
        { round: 2, pending: null },
      ],
      'its pending transaction',
    );
    t.match(await s.reports.transactions({}), [{ txid: '0xr1', kind: 'anchor', items: 0, round: 1 }]);
    await s.settlement.settle('0xr1', { status: 'expired', vmstate: null, detail: 'not on chain', gasFee: 0, at: 31 });
    t.match(await s.settlement.openRounds(ANCHORER), [{ round: 1, pending: null }, { round: 2 }], 'expired: open again, to be sent again with the same root');
    await s.settlement.addPending(pending('0xr2', [redeem(7, 5)], 32, { anchorer: ANCHORER, round: 1 }));
    await s.settlement.settle('0xr2', { status: 'faulted', vmstate: 'FAULT', detail: 'boom', gasFee: 1, at: 33 });
    t.match(await s.settlement.openRounds(ANCHORER), [{ round: 1, pending: null }, { round: 2 }], 'faulted: still open');
    t.same(await s.settlement.roundTxs(ANCHORER, 1), [
      { txid: '0xr1', status: 'expired' },
      { txid: '0xr2', status: 'faulted' },
    ]);
    await s.settlement.settleLate('0xr2', { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 1, at: 34 });
    t.same(
      (await s.settlement.roundTxs(ANCHORER, 1)).map((x) => x.status),
      ['expired', 'faulted'],
      'settleLate leaves a faulted one as it is',
    );
    await s.settlement.settleLate('0xr1', { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 9, at: 35 });
    t.same(
      (await s.settlement.roundTxs(ANCHORER, 1)).map((x) => x.status),
      ['confirmed', 'faulted'],
      'an expired one the chain holds after all',
    );
    t.same(
      (await s.settlement.openRounds(ANCHORER)).map((x) => x.round),
      [2],
      'round 1 anchored',
    );
    await s.settlement.addPending(anchoring('0xr3', 2, 40));
    await s.settlement.settle('0xr3', { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 9, at: 41 });
    t.same(await s.settlement.openRounds(ANCHORER), []);
    await s.settlement.settleLate('0xr3', { status: 'faulted', vmstate: 'FAULT', detail: null, gasFee: 0, at: 42 });
    t.same(
      (await s.settlement.roundTxs(ANCHORER, 2)).map((x) => x.status),
      ['confirmed'],
      'settleLate touches only expired ones',
    );
  });

  t.test("a round's transaction is recorded with the round, or not at all", async (t) => {
    const s = await fresh(t);
    await t.rejects(s.settlement.addPending(anchoring('0xs1', 5)), 'no round 5 in the books');
    t.same(await s.reports.transactions({}), [], 'nothing of it was recorded');
  });

  t.test('pending transactions: their raw bytes until settled, oldest first; settled once', async (t) => {
    const s = await fresh(t);
    await s.settlement.addPending(pending('0xc1', [redeem(1, 10)], 6));
    await s.settlement.addPending(pending('0xc2', [redeem(2, 20)], 5));
    await s.settlement.addPending(pending('0xc3', [redeem(3, 30)], 7));
    t.same(
      await s.settlement.pendingRaw(),
      [
        { txid: '0xc2', raw: 'raw-0xc2', validUntilBlock: 100 },
        { txid: '0xc1', raw: 'raw-0xc1', validUntilBlock: 100 },
        { txid: '0xc3', raw: 'raw-0xc3', validUntilBlock: 100 },
      ],
      'in the order they were recorded',
    );
    await s.settlement.settle('0xc1', confirmed(9));
    await s.settlement.settle('0xc1', faulted(10));
    t.match(
      await s.reports.transactions({ status: 'confirmed' }),
      [{ txid: '0xc1', gasFee: 123, settledAt: 9, vmstate: 'HALT' }],
      'a second application log changes nothing',
    );
    t.same(await s.reports.transactions({ status: 'faulted' }), []);
    await s.settlement.settle('0xc2', { status: 'expired', vmstate: null, detail: 'not on chain by block 100', gasFee: 0, at: 11 });
    t.same(
      (await s.settlement.pendingRaw()).map((p) => p.txid),
      ['0xc3'],
      'settled and expired ones are not pending',
    );
    await s.settlement.settle('0xnone', confirmed(12));
    t.equal((await s.reports.transactions({})).length, 3, 'settling an unknown txid records nothing');
  });

  t.test('a transaction is recorded whole, once: a second with the same txid is refused and changes nothing', async (t) => {
    const s = await fresh(t);
    await s.settlement.addPending(pending('0xd1', [redeem(1, 10), redeem(2, 20)]));
    await t.rejects(s.settlement.addPending(pending('0xd1', [redeem(3, 30)], 9)));
    t.match(await s.reports.transactions({}), [{ txid: '0xd1', items: 2, createdAt: 5 }]);
    t.equal(await s.settlement.pendingFor(3), null, "the refused one's item was not kept");
    t.equal(await s.settlement.pendingFor(2), '0xd1');
  });

  t.test('the pending transaction that carries a channel, oldest first, until it settles', async (t) => {
    const s = await fresh(t);
    t.equal(await s.settlement.pendingFor(8), null);
    await s.settlement.addPending(pending('0xe1', [redeem(7, 1), redeem(8, 2)], 5));
    await s.settlement.addPending(pending('0xe2', [redeem(8, 3)], 6));
    t.equal(await s.settlement.pendingFor(8), '0xe1', 'the oldest');
    await s.settlement.settle('0xe1', confirmed(9));
    t.equal(await s.settlement.pendingFor(8), '0xe2');
    t.equal(await s.settlement.pendingFor(7), null, 'settled: no longer pending');
  });

  t.test("vouchers passed on over the RPC: only the newest kept, settled with the records' ones", async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    await s.routers.putRouter(routerInfo(r));
    await s.ingest.storeBatch(r.address, r.next(1, 7, 500), 1);
    const sig = 'cd'.repeat(64);
    t.same(await s.settlement.newestVoucher(7), { amount: 500, signature: 'ab'.repeat(64), router: r.address }, 'from the records');
    t.equal(await s.settlement.putVoucher({ channelId: 7, amount: 400, signature: sig, router: r.address, at: 2 }), false, "below the record's 500: not kept");
    t.equal(await s.settlement.putVoucher({ channelId: 7, amount: 500, signature: sig, router: r.address, at: 2 }), false, 'equal: not kept');
    t.same(await s.settlement.newestVoucher(7), { amount: 500, signature: 'ab'.repeat(64), router: r.address });
    t.equal(await s.settlement.putVoucher({ channelId: 7, amount: 600, signature: sig, router: 'Nroamed', at: 3 }), true);
    t.equal(await s.settlement.putVoucher({ channelId: 9, amount: 50, signature: sig, router: r.address, at: 3 }), true);
    t.equal(await s.settlement.putVoucher({ channelId: 9, amount: 50, signature: sig, router: r.address, at: 4 }), false, 'a repeat is not kept');
    t.same(await s.settlement.newestVoucher(7), { amount: 600, signature: sig, router: 'Nroamed' }, "the RPC's, from the router that took it");
    t.equal(await s.settlement.newestVoucher(8), null);
    t.same(
      (await s.settlement.vouchersToRedeem(10)).map((v) => [v.channelId, v.amount, v.router]),
      [
        [7, 600, 'Nroamed'],
        [9, 50, r.address],
      ],
    );
    await s.settlement.addPending(pending('0xf1', [redeem(7, 600)]));
    t.same(
      (await s.settlement.vouchersToRedeem(10)).map((v) => [v.channelId, v.amount]),
      [[9, 50]],
    );
  });

  t.test('vouchers put at once, in any order: the highest of each channel is the one kept', async (t) => {
    const s = await fresh(t);
    const amounts = [300, 700, 100, 600, 500, 200, 400];
    await Promise.all(
      [1, 2, 3, 4].flatMap((channelId) =>
        amounts.map((amount, i) => s.settlement.putVoucher({ channelId, amount: amount + channelId, signature: 'cd'.repeat(64), router: 'Nr', at: i })),
      ),
    );
    for (const c of [1, 2, 3, 4]) t.equal((await s.settlement.newestVoucher(c))?.amount, 700 + c, `channel ${c}`);
  });
}
