import t from 'tap';
import { openPgStore } from '../gateway/src/store/postgres.js';
import { createDatabase, startPostgres } from './helpers/postgres.js';
import { gatewayStoreSuite } from './suites/gateway-store.suite.js';
import { SimRouter } from './gateway-sim.js';

// One cluster for the file, a fresh database per test.
const pg = await startPostgres();
t.teardown(() => pg.stop());
let n = 0;

gatewayStoreSuite(t, async () => openPgStore(await createDatabase(pg, `store_${++n}`)));

t.test('two stores migrating one database at once, then sharing it', async (t) => {
  const url = await createDatabase(pg, 'shared');
  const [a, b] = await Promise.all([openPgStore(url), openPgStore(url)]);
  t.teardown(async () => { await a.close(); await b.close(); });
  const r = new SimRouter();
  const batch = r.next(20);
  const out = await Promise.all([a.storeBatch(r.address, batch, 1), b.storeBatch(r.address, batch, 1)]);
  t.same(out.map((o) => o.kind).sort(), ['duplicate', 'stored']);
  t.match(await a.totals(), { batches: 1, records: 20 });
});
