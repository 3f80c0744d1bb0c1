import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { gatewayStoreSuite } from './suites/gateway-store.suite.js';

const dir = mkdtempSync(join(tmpdir(), 'qlink-gw-sqlite-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

gatewayStoreSuite(t, () => openSqliteStore(join(dir, `store-${++n}.db`)));

t.test('reopening a file keeps its rows and migrates nothing twice', async (t) => {
  const path = join(dir, 'reopen.db');
  const { SimRouter } = await import('./gateway-sim.js');
  const r = new SimRouter();
  const a = await openSqliteStore(path);
  await a.storeBatch(r.address, r.next(2), 1);
  await a.close();
  const b = await openSqliteStore(path);
  t.match(await b.totals(), { batches: 1, records: 2 });
  await b.close();
});
