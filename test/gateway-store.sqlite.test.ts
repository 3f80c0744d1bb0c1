import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { migrations } from '../gateway/src/store/migrations.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { SimRouter } from './gateway-sim.js';
import { gatewayStoreSuites } from './suites/gateway-stores.js';

const dir = mkdtempSync(join(tmpdir(), 'qlink-gw-sqlite-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

gatewayStoreSuites(t, () => openSqliteStore(join(dir, `store-${++n}.db`)));

t.test('reopening a file keeps its rows and migrates nothing twice', async (t) => {
  const path = join(dir, 'reopen.db');
  const r = new SimRouter();
  const a = await openSqliteStore(path);
  await a.ingest.storeBatch(r.address, r.next(2), 1);
  await a.close();
  const b = await openSqliteStore(path);
  t.match(await b.reports.totals(), { batches: 1, records: 2 });
  t.same(await b.ingest.head(r.address), { seq: 1, hash: r.prev, lastRecord: 2 });
  await b.close();
});

t.test('a file from before the acks table went: migrated once, its rows kept, acks gone', async (t) => {
  const path = join(dir, 'v2.db');
  const old = new Database(path);
  for (const step of migrations('sqlite').slice(0, 2)) old.exec(step);
  old.pragma('user_version = 2');
  old.prepare("INSERT INTO acks (router, seq, acks, last_at) VALUES ('Nx', 1, 2, 5)").run();
  old.prepare("INSERT INTO vouchers (channel_id, amount, signature, router, received_at) VALUES (7, 500, 'ab', 'Nx', 5)").run();
  old.close();
  const s = await openSqliteStore(path);
  t.same(await s.settlement.newestVoucher(7), { amount: 500, signature: 'ab', router: 'Nx' }, 'rows of the old schema kept');
  await s.close();
  const look = new Database(path, { readonly: true });
  t.teardown(() => look.close());
  t.same(look.prepare("SELECT name FROM sqlite_master WHERE name = 'acks'").all(), [], 'the acks table is dropped');
  t.equal(look.pragma('user_version', { simple: true }), migrations('sqlite').length);
});

t.test('a file of schema v4 (per-batch anchors): its batches wait for the first round, its records keep their vouchers', async (t) => {
  const path = join(dir, 'v4.db');
  const old = new Database(path);
  for (const step of migrations('sqlite').slice(0, 4)) old.exec(step);
  old.pragma('user_version = 4');
  old.close();
  const r = new SimRouter();
  // What a v4 gateway stored: rows written with the v4 columns only.
  const b = r.next(2, 7, 500);
  const raw = new Database(path);
  raw
    .prepare(`INSERT INTO batches (router, seq, hash, prev, root, router_key, signature, from_ms, to_ms, first_record, last_record, records, received_at)
    VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, 1, 2, 2, 5)`)
    .run(r.address, b.hash, b.prev, b.root, b.router, b.signature, b.fromMs, b.toMs);
  for (const x of b.records) {
    raw
      .prepare(`INSERT INTO records (router, id, batch_seq, session_id, channel_id, start_ms, end_ms, bytes_down, bytes_up, seconds, cost, voucher_amount, voucher_sig)
      VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(r.address, x.id, x.sessionId, x.channelId, x.startMs, x.endMs, x.bytesDown, x.bytesUp, x.seconds, x.cost, x.voucher!.amount, x.voucher!.signature);
  }
  raw.close();
  const s = await openSqliteStore(path);
  t.teardown(() => s.close());
  t.same(await s.settlement.roundQueue(10), [{ router: r.address, seq: 1, hash: b.hash }]);
  t.equal((await s.settlement.newestVoucher(7))?.amount, 501);
  const { records, ...head } = (await s.owner.storedBatches(r.address, 0, 1))[0]!;
  t.same(records, b.records, 'records come back as stored');
  t.equal(head.hash, b.hash);
});

t.test('one gateway per SQLite file: it always leads settlement', async (t) => {
  const s = await openSqliteStore(join(dir, 'lead.db'));
  t.teardown(() => s.close());
  const [a, b] = [s.settlerLock(), s.settlerLock()];
  t.equal(await a.lead(), true);
  t.equal(await b.lead(), true);
  await a.release();
  t.equal(await a.lead(), true);
});
