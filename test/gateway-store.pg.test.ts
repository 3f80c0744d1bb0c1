import pgLib from 'pg';
import t from 'tap';
import { migrations } from '../gateway/src/store/migrations.js';
import { openPgStore } from '../gateway/src/store/postgres.js';
import { createDatabase, startPostgres } from './helpers/postgres.js';
import { gatewayStoreSuites } from './suites/gateway-stores.js';
import { SimRouter } from './gateway-sim.js';

// One cluster for the file, a fresh database per test.
const pg = await startPostgres();
t.teardown(() => pg.stop());
let n = 0;

gatewayStoreSuites(t, async () => openPgStore(await createDatabase(pg, `store_${++n}`)));

t.test('two stores migrating one database at once, then sharing it', async (t) => {
  const url = await createDatabase(pg, 'shared');
  const [a, b] = await Promise.all([openPgStore(url), openPgStore(url)]);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const r = new SimRouter();
  const batch = r.next(20);
  const out = await Promise.all([a.ingest.storeBatch(r.address, batch, 1), b.ingest.storeBatch(r.address, batch, 1)]);
  t.same(out.map((o) => o.kind).sort(), ['duplicate', 'stored']);
  t.match(await a.reports.totals(), { batches: 1, records: 20 });
  t.same(await b.ingest.head(r.address), { seq: 1, hash: batch.hash, lastRecord: 20 }, 'the other store sees it');
});

t.test('a database from before the acks table went: migrated once, its rows kept, acks gone', async (t) => {
  const url = await createDatabase(pg, 'v2');
  const c = new pgLib.Client({ connectionString: url });
  await c.connect();
  t.teardown(() => c.end());
  for (const step of migrations('postgres').slice(0, 2)) await c.query(step);
  await c.query('CREATE TABLE schema_version (version BIGINT NOT NULL); INSERT INTO schema_version VALUES (2)');
  await c.query("INSERT INTO acks (router, seq, acks, last_at) VALUES ('Nx', 1, 2, 5)");
  await c.query("INSERT INTO vouchers (channel_id, amount, signature, router, received_at) VALUES (7, 500, 'ab', 'Nx', 5)");
  const s = await openPgStore(url);
  t.same(await s.settlement.newestVoucher(7), { amount: 500, signature: 'ab', router: 'Nx' }, 'rows of the old schema kept');
  await s.close();
  t.same((await c.query("SELECT to_regclass('acks') AS t")).rows, [{ t: null }], 'the acks table is dropped');
  t.same((await c.query('SELECT version FROM schema_version')).rows, [{ version: String(migrations('postgres').length) }]);
});

t.test("the settler's lead: one holder at a time, handed on when released or when its session dies", async (t) => {
  const url = await createDatabase(pg, 'lead');
  const [a, b] = [await openPgStore(url), await openPgStore(url)];
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const [la, lb] = [a.settlerLock(), b.settlerLock()];
  t.equal(await la.lead(), true, 'the first takes it');
  t.equal(await lb.lead(), false, 'the second does not');
  t.equal(await la.lead(), true, 'the holder keeps it');
  await la.release();
  t.equal(await lb.lead(), true, 'released: the other takes it');
  t.equal(await la.lead(), false);
  // The holder's session ends as with a kill -9 of its gateway (the server sees the connection go).
  const c = new pgLib.Client({ connectionString: url });
  await c.connect();
  t.teardown(() => c.end());
  const killed = await c.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = 7171708`);
  t.same(
    killed.rows.map((r) => r.ok),
    [true],
    "the leader's session, found by its lock, ended",
  );
  for (let i = 0; i < 50 && !(await la.lead()); i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(await la.lead(), true, 'the other gateway takes the lead');
  t.equal(await lb.lead(), false, 'the old holder notices it lost it (and does not get it back while held)');
  await la.release();
  await lb.release();
});

t.test('a database of schema v4: its batches wait for the first round', async (t) => {
  const url = await createDatabase(pg, 'v4');
  const c = new pgLib.Client({ connectionString: url });
  await c.connect();
  t.teardown(() => c.end());
  for (const step of migrations('postgres').slice(0, 4)) await c.query(step);
  await c.query('CREATE TABLE schema_version (version BIGINT NOT NULL); INSERT INTO schema_version VALUES (4)');
  const r = new SimRouter();
  const b = r.next(1);
  await c.query(
    `INSERT INTO batches (router, seq, hash, prev, root, router_key, signature, from_ms, to_ms, first_record, last_record, records, received_at)
    VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, 1, 1, 1, 5)`,
    [r.address, b.hash, b.prev, b.root, b.router, b.signature, b.fromMs, b.toMs],
  );
  const s = await openPgStore(url);
  t.teardown(() => s.close());
  t.same(await s.settlement.roundQueue(10), [{ router: r.address, seq: 1, hash: b.hash }]);
});
