import { generateKeyPairSync } from 'node:crypto';
import type { Test } from 'tap';
import { identityFromKey } from '../../agent/src/identity/router-key.js';
import { planTerms, type Plan } from '../../agent/src/plans.js';
import type { UsageRecordRow } from '../../agent/src/store/db.js';
import type { Db, SqlDriver } from '../../agent/src/store/driver.js';
import { SessionStore } from '../../agent/src/store/sessions.js';
import { Outbox } from '../../agent/src/uplink/outbox.js';
import { UsageBatcher } from '../../agent/src/usage/batcher.js';
import { UsageRecorder } from '../../agent/src/usage/recorder.js';
import { ChannelLedger } from '../../agent/src/vouchers/ledger.js';
import { VoucherStore } from '../../agent/src/vouchers/store.js';
import { type Batch, batchProblem, batchSchema, ZERO_HASH } from '../../protocol/src/index.js';
import { verifyP256 } from '../../protocol/src/node/index.js';
import { addRecords, agentStores, count, MAC_A, MAC_B, T0 } from './agent-store-fixtures.js';

const deployment = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };
const identity = identityFromKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
const SEC = 1000;

const records = (db: Db) => db.prepare<[], UsageRecordRow>('SELECT * FROM usage_records ORDER BY id').all();
const down = (handle: number, bytes: number) => ({ down: { handle, bytes, packets: 1 } });
const queued = (o: Outbox): Batch[] => o.after(0, 1000).map((e) => batchSchema.parse(JSON.parse(e.payload)));

/** UsageRecorder, UsageBatcher and the Outbox: records cut from the totals, sealed in order into signed batches, kept until acked. */
export function usageStoreSuite(t: Test, driver: SqlDriver): void {
  const { memory, file } = agentStores(t, driver);
  const metered = (db: Db, intervalMs: number, plans?: (id: string) => Plan | undefined) =>
    new SessionStore(
      db,
      new UsageRecorder(db, {
        intervalMs,
        pricingOf:
          plans &&
          ((r) => {
            const p = r.plan === null ? undefined : plans(r.plan);
            return p && planTerms(p);
          }),
      }),
    );

  t.test("a record is cut once the open interval is intervalMs long; the session's cursor moves with it", async (t) => {
    const db = memory();
    const s = metered(db, 60 * SEC);
    const a = s.start(MAC_A, { endsAt: null, quotaBytes: null }, T0);
    s.applyReadings(new Map([[a.id, down(1, 1000)]]), T0 + 30 * SEC);
    t.same(records(db), [], 'half an interval: nothing yet');
    s.applyReadings(new Map([[a.id, down(1, 1500)]]), T0 + 60 * SEC);
    s.applyReadings(new Map([[a.id, down(1, 1500)]]), T0 + 60 * SEC);
    t.match(
      records(db),
      [{ session_id: a.id, start_ms: T0, end_ms: T0 + 60 * SEC, bytes_down: 1500, bytes_up: 0, seconds: 60, batch_seq: null }],
      'one record, not two for the same interval',
    );
    s.applyReadings(new Map([[a.id, down(1, 1600)]]), T0 + 125 * SEC);
    t.match(records(db)[1], { start_ms: T0 + 60 * SEC, end_ms: T0 + 125 * SEC, bytes_down: 100, seconds: 65 }, 'the next starts where the last ended');
  });

  t.test('the final cut closes the last interval whatever its length; an empty one makes no record', async (t) => {
    const db = memory();
    const s = metered(db, 60 * SEC);
    const a = s.start(MAC_A, { endsAt: null, quotaBytes: null }, T0);
    s.applyReadings(new Map([[a.id, down(1, 700)]]), T0 + 10 * SEC);
    s.markEnding(a.id, 'logout', T0 + 15 * SEC);
    s.finish(a.id, T0 + 15 * SEC);
    t.match(records(db), [{ start_ms: T0, end_ms: T0 + 15 * SEC, bytes_down: 700, seconds: 15 }]);
    const b = s.start(MAC_B, { endsAt: null, quotaBytes: null }, T0 + 20 * SEC);
    s.markEnding(b.id, 'logout', T0 + 20 * SEC + 300);
    s.finish(b.id, T0 + 20 * SEC + 300);
    t.equal(records(db).length, 1, 'no byte and no whole second: nothing to bill');
  });

  t.test("a record carries the channel's newest voucher", async (t) => {
    const db = memory();
    const s = metered(db, 10 * SEC);
    const a = s.start(MAC_A, { endsAt: null, quotaBytes: null }, T0);
    new ChannelLedger(db, () => undefined).link(a.id, 7n);
    new VoucherStore(db).raise({ channelId: 7n, amount: 500n, signature: 'cd'.repeat(64), sessionId: a.id, at: T0 });
    s.applyReadings(new Map([[a.id, down(1, 100)]]), T0 + 10 * SEC);
    t.match(records(db), [{ channel_id: 7, voucher_amount: 500, voucher_sig: 'cd'.repeat(64) }]);
  });

  t.test('a clock stepping back never makes an interval run backwards', async (t) => {
    const db = memory();
    const s = metered(db, 10 * SEC);
    const a = s.start(MAC_A, { endsAt: null, quotaBytes: null }, T0);
    s.applyReadings(new Map([[a.id, down(1, 100)]]), T0 + 10 * SEC);
    s.applyReadings(new Map([[a.id, down(1, 150)]]), T0 - 3_600 * SEC);
    s.markEnding(a.id, 'x', T0 - 3_600 * SEC);
    s.finish(a.id, T0 - 3_600 * SEC);
    const rs = records(db);
    t.ok(
      rs.every((r) => r.end_ms >= r.start_ms),
      'no record ends before it starts',
    );
    t.match(rs[1], { start_ms: T0 + 10 * SEC, end_ms: T0 + 10 * SEC, bytes_down: 50, seconds: 0 }, 'the bytes still billed, in an empty interval');
  });

  t.test("records add up: their seconds to the session's, their cost to the plan's price of the whole", async (t) => {
    const db = memory();
    const plan: Plan = { id: 'p', name: 'P', pricePerMb: 333, pricePerMinute: 7, zeroRated: [], zeroRatedWithoutCredit: false };
    const s = metered(db, 1, (id) => (id === 'p' ? plan : undefined));
    const a = s.start(MAC_A, { endsAt: null, quotaBytes: null, plan: 'p' }, T0);
    let bytes = 0;
    for (let i = 1; i <= 9; i++) s.applyReadings(new Map([[a.id, down(1, (bytes += 12_345))]]), T0 + i * 1_700);
    s.markEnding(a.id, 'x', T0 + 16_000);
    s.finish(a.id, T0 + 16_000);
    const rs = records(db);
    t.equal(rs.length, 10);
    t.equal(
      rs.reduce((n, r) => n + r.seconds, 0),
      16,
    );
    t.equal(
      rs.reduce((n, r) => n + r.bytes_down, 0),
      bytes,
    );
    t.equal(
      rs.reduce((n, r) => n + r.cost, 0),
      Math.ceil((333 * bytes) / 1e6 + (7 * 16) / 60),
      'no rounding lost or gained',
    );
  });

  t.test('a record is cut in the transaction that moved the totals: a failed insert moves neither', async (t) => {
    const { db, restarted } = file();
    const s = metered(db, 10 * SEC);
    const a = s.start(MAC_A, { endsAt: null, quotaBytes: null }, T0);
    s.applyReadings(new Map([[a.id, down(1, 100)]]), T0 + 10 * SEC);
    const after = restarted();
    t.equal(records(after).length, 1, 'a restarted agent finds the record...');
    t.equal(new SessionStore(after).get(a.id)?.bytesDown, 100, '...and the totals it was cut from');
    db.exec("CREATE TRIGGER full BEFORE INSERT ON usage_records BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    t.throws(() => s.applyReadings(new Map([[a.id, down(1, 300)]]), T0 + 20 * SEC), /disk full/);
    t.equal(s.get(a.id)?.bytesDown, 100, 'the totals did not move without their record');
    db.exec('DROP TRIGGER full');
    s.applyReadings(new Map([[a.id, down(1, 300)]]), T0 + 20 * SEC);
    t.match(records(db)[1], { start_ms: T0 + 10 * SEC, bytes_down: 200 }, 'the same reading, cut once it can be');
  });

  t.test('sealed in order: batch 1 links to zero, each next to the hash before; signed; queued in the outbox', async (t) => {
    const db = memory();
    addRecords(db, 10);
    const batcher = new UsageBatcher(db, identity, deployment);
    const first = batcher.seal(T0, 4)!;
    t.equal(batcher.sealAll(T0, 4), 2, 'the rest, 4 at a time');
    const bs = queued(new Outbox(db));
    t.same(
      bs.map((b) => [b.seq, b.records.map((r) => r.id)]),
      [
        [1, [1, 2, 3, 4]],
        [2, [5, 6, 7, 8]],
        [3, [9, 10]],
      ],
      'the oldest records first',
    );
    t.same(bs[0], first, 'the outbox holds the batch as seal returned it');
    t.equal(bs[0]!.prev, ZERO_HASH);
    for (let i = 1; i < bs.length; i++) t.equal(bs[i]!.prev, bs[i - 1]!.hash);
    for (const b of bs) t.equal(batchProblem(b, verifyP256), null, `batch ${b.seq} verifies`);
    t.equal(bs[0]!.router, identity.publicKey);
    t.same(
      records(db).map((r) => r.batch_seq),
      [1, 1, 1, 1, 2, 2, 2, 2, 3, 3],
    );
    t.equal(batcher.seal(T0, 4), null, 'nothing left to seal');
  });

  t.test('a batch is sealed whole or not at all', async (t) => {
    const db = memory();
    addRecords(db, 3);
    db.exec("INSERT INTO usage_outbox (seq, payload) VALUES (1, 'in the way')");
    const batcher = new UsageBatcher(db, identity, deployment);
    t.throws(() => batcher.seal(T0, 10));
    t.equal(count(db, 'SELECT count(*) AS n FROM usage_batches'), 0, 'no batch row');
    t.equal(count(db, 'SELECT count(*) AS n FROM usage_records WHERE batch_seq IS NULL'), 3, 'the records still unbatched');
    db.exec('DELETE FROM usage_outbox');
    t.match(batcher.seal(T0, 10), { seq: 1, prev: ZERO_HASH, records: [{ id: 1 }, { id: 2 }, { id: 3 }] });
  });

  t.test('sealed batches stay sealed: a restarted agent links its next batch to the last', async (t) => {
    const { db, restarted } = file();
    addRecords(db, 2);
    const b1 = new UsageBatcher(db, identity, deployment).seal(T0, 10)!;
    const after = restarted();
    addRecords(after, 1, { from: T0 + 3_600 * SEC });
    t.match(new UsageBatcher(after, identity, deployment).seal(T0 + 3_600 * SEC, 10), { seq: 2, prev: b1.hash, records: [{ id: 3 }] });
  });

  t.test('outbox: unacked batches after a seq, oldest first, at most limit; counted', async (t) => {
    const db = memory();
    addRecords(db, 5);
    new UsageBatcher(db, identity, deployment).sealAll(T0, 1);
    const o = new Outbox(db);
    t.same(
      o.after(0, 10).map((e) => e.seq),
      [1, 2, 3, 4, 5],
    );
    t.same(
      o.after(2, 2).map((e) => e.seq),
      [3, 4],
    );
    t.same(o.after(5, 10), []);
    t.equal(o.size(), 5);
    t.equal(o.countUpTo(3), 3);
  });

  t.test('outbox: an ack drops only the acked batches and their records; the batch rows stay, acked', async (t) => {
    const db = memory();
    addRecords(db, 6);
    const batcher = new UsageBatcher(db, identity, deployment);
    batcher.sealAll(T0, 2);
    const o = new Outbox(db);
    t.same(o.ack([1, 3, 99], T0 + 5), [1, 3], 'the seqs that were waiting');
    t.same(o.ack([1], T0 + 6), [], 'acked twice: once');
    t.same(
      o.after(0, 10).map((e) => e.seq),
      [2],
    );
    t.same(
      records(db).map((r) => r.id),
      [3, 4],
      'the records of batch 2 only',
    );
    t.same(
      db
        .prepare<[], { seq: number; acked_at: number | null }>('SELECT seq, acked_at FROM usage_batches ORDER BY seq')
        .all()
        .map((r) => [r.seq, r.acked_at]),
      [
        [1, T0 + 5],
        [2, null],
        [3, T0 + 5],
      ],
    );
    const third = db.prepare<[], { hash: string }>('SELECT hash FROM usage_batches WHERE seq = 3').get()!.hash;
    addRecords(db, 1);
    t.match(batcher.seal(T0, 10), { seq: 4, prev: third }, 'the chain goes on from the acked head');
    t.equal(o.countUpTo(4), 2);
  });

  t.test('outbox: a batch is deleted only on its ack; a restarted agent resends every unacked one', async (t) => {
    const { db, restarted } = file();
    addRecords(db, 3);
    new UsageBatcher(db, identity, deployment).sealAll(T0, 1);
    new Outbox(db).ack([2], T0);
    const after = new Outbox(restarted());
    t.same(
      after.after(0, 10).map((e) => e.seq),
      [1, 3],
    );
    t.same(
      queued(after).map((b) => b.records.map((r) => r.id)),
      [[1], [3]],
      'with their records',
    );
  });
}
