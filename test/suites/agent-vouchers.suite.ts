import type { Test } from 'tap';
import { planTerms, type Plan } from '../../agent/src/plans.js';
import { NonceStore } from '../../agent/src/remote/nonces.js';
import type { SqlDriver } from '../../agent/src/store/driver.js';
import { SessionStore } from '../../agent/src/store/sessions.js';
import { ChannelLedger } from '../../agent/src/vouchers/ledger.js';
import { type HeldVoucher, VoucherStore } from '../../agent/src/vouchers/store.js';
import { agentStores, MAC_A, MAC_B, T0 } from './agent-store-fixtures.js';

const voucher = (channelId: bigint, amount: bigint, at = T0, sig = 'ab'): HeldVoucher => ({
  channelId,
  amount,
  signature: sig.repeat(64).slice(0, 128),
  sessionId: 1,
  at,
});

/**
 * VoucherStore: the newest voucher per channel and nothing older, stored
 * before the guest is let on; ChannelLedger: what a channel's service cost;
 * NonceStore: remote commands already run.
 */
export function voucherStoreSuite(t: Test, driver: SqlDriver): void {
  const { memory, file } = agentStores(t, driver);

  t.test('raise keeps a voucher only if it is strictly above the newest held', async (t) => {
    const v = new VoucherStore(memory());
    t.equal(v.newest(7n), undefined);
    t.ok(v.raise(voucher(7n, 100n, T0, 'aa')));
    t.notOk(v.raise(voucher(7n, 100n, T0 + 1, 'bb')), 'as high: refused');
    t.notOk(v.raise(voucher(7n, 90n, T0 + 2, 'cc')), 'lower: refused');
    t.same(v.newest(7n), voucher(7n, 100n, T0, 'aa'), 'the held one as it was');
    t.ok(v.raise(voucher(7n, 150n, T0 + 3, 'dd')));
    t.same(v.newest(7n), voucher(7n, 150n, T0 + 3, 'dd'));
    t.ok(v.raise(voucher(8n, 1n)), 'channels are apart');
  });

  t.test('amounts and channel ids up to 2^63 - 1 are kept and compared exactly', async (t) => {
    const v = new VoucherStore(memory());
    const ch = 2n ** 62n + 7n;
    t.ok(v.raise(voucher(ch, 2n ** 62n)));
    t.ok(v.raise(voucher(ch, 2n ** 62n + 1n)), 'one above: a double would call these equal');
    t.notOk(v.raise(voucher(ch, 2n ** 62n)));
    t.ok(v.raise(voucher(ch, 2n ** 63n - 1n)));
    t.equal(v.newest(ch)?.amount, 2n ** 63n - 1n);
    t.equal(v.newest(ch)?.channelId, ch);
  });

  t.test('a voucher is stored when raise returns (the guest is let on after): a restarted agent holds it', async (t) => {
    const { db, restarted } = file();
    new VoucherStore(db).raise(voucher(7n, 300n));
    t.same(new VoucherStore(restarted()).newest(7n), voucher(7n, 300n));
  });

  t.test('unpushed: newest vouchers the gateway has not acknowledged, oldest first; pushed only for that amount', async (t) => {
    const v = new VoucherStore(memory());
    v.raise(voucher(8n, 50n, T0 + 2));
    v.raise(voucher(7n, 100n, T0 + 1));
    t.same(
      v.unpushed(10).map((x) => x.channelId),
      [7n, 8n],
    );
    t.same(
      v.unpushed(1).map((x) => x.channelId),
      [7n],
      'at most limit',
    );
    v.markPushed(7n, 100n);
    t.same(
      v.unpushed(10).map((x) => x.channelId),
      [8n],
    );
    v.raise(voucher(7n, 120n, T0 + 3));
    v.markPushed(7n, 100n);
    t.same(
      v.unpushed(10).map((x) => [x.channelId, x.amount]),
      [
        [8n, 50n],
        [7n, 120n],
      ],
      'a higher one stored since stays due',
    );
  });

  t.test("what other routers took above the newest held here counts in the channel's cost", async (t) => {
    const db = memory();
    const v = new VoucherStore(db);
    const ledger = new ChannelLedger(db, () => undefined);
    t.equal(ledger.cost(7n, T0), 0n);
    v.raise(voucher(7n, 100n), 80n);
    t.equal(ledger.cost(7n, T0), 80n, 'first seen here with 80 taken elsewhere');
    v.raise(voucher(7n, 120n));
    t.equal(ledger.cost(7n, T0), 80n, 'nothing taken elsewhere meanwhile');
    v.raise(voucher(7n, 300n), 250n);
    t.equal(ledger.cost(7n, T0), 210n, 'another router took 250 - 120 above the newest held here');
    v.raise(voucher(7n, 200n), 1000n);
    t.equal(ledger.cost(7n, T0), 210n, 'a refused raise changes nothing');
    v.raise(voucher(7n, 2n ** 62n + 1n), 2n ** 62n);
    t.equal(ledger.cost(7n, T0), 210n + 2n ** 62n - 300n, 'exact beyond 2^53');
  });

  t.test("ledger: a session bound to its channel; the channel's cost is its sessions' by plan", async (t) => {
    const db = memory();
    const plan: Plan = { id: 'p', name: 'P', pricePerMb: 1000, pricePerMinute: 60, zeroRated: [], zeroRatedWithoutCredit: false };
    const sessions = new SessionStore(db);
    const ledger = new ChannelLedger(db, (r) => (r.plan === 'p' ? planTerms(plan) : undefined));
    const a = sessions.start(MAC_A, { endsAt: null, quotaBytes: null, plan: 'p' }, T0);
    sessions.applyReadings(new Map([[a.id, { down: { handle: 1, bytes: 2_000_000, packets: 1 } }]]), T0 + 60_000);
    sessions.markEnding(a.id, 'x', T0 + 120_000);
    sessions.finish(a.id, T0 + 120_000);
    const b = sessions.start(MAC_A, { endsAt: null, quotaBytes: null, plan: 'p' }, T0 + 200_000);
    const free = sessions.start(MAC_B, { endsAt: null, quotaBytes: null }, T0);
    t.equal(ledger.channelOf(a.id), null);
    for (const s of [a, b, free]) ledger.link(s.id, 7n);
    t.equal(ledger.channelOf(a.id), 7n);
    t.equal(ledger.lastSession(7n), free.id);
    t.equal(ledger.lastSession(8n), undefined);
    t.equal(ledger.cost(7n, T0 + 260_000), 2000n + 120n + 60n, 'a: 2 MB and 2 minutes, b: one minute so far, the free one nothing');
  });

  t.test('nonces: claimed once, a replay refused after a restart too; forgotten once their command expired', async (t) => {
    const { db, restarted } = file();
    const n = new NonceStore(db);
    t.ok(n.claim('n1', T0 + 10, T0));
    t.notOk(n.claim('n1', T0 + 10, T0 + 1));
    const again = new NonceStore(restarted());
    t.notOk(again.claim('n1', T0 + 10, T0 + 5), 'remembered across a restart');
    t.ok(again.claim('n1', T0 + 100, T0 + 11), 'expired and pruned: the expiry check refuses a replay from here on');
  });
}
