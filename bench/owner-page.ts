/**
 * The owner's page on a large store: the first load verifies every stored
 * batch again (records, Merkle root, hash, signature, links), later loads
 * only what is new. Prints each load's time and the page's size.
 *   node dist/bench/owner-page.js [sqlite|postgres|both] [routers] [batches/router] [records/batch]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownerPage } from '../gateway/src/api/owner/route.js';
import { StatusBook } from '../gateway/src/ingest/status.js';
import { openPgStore } from '../gateway/src/store/postgres.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import type { GatewayStores } from '../gateway/src/store/store.js';
import { deployment, SimRouter } from '../test/gateway-sim.js';
import { startPostgres } from '../test/helpers/postgres.js';

const [which = 'sqlite', nRouters = '10', nBatches = '1000', nRecords = '20'] = process.argv.slice(2);
const R = Number(nRouters),
  B = Number(nBatches),
  N = Number(nRecords);
const OWNER = '0x' + '66'.repeat(20);
const DAY = 86_400_000;

async function fill(store: GatewayStores): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < R; i++) {
    const r = new SimRouter();
    await store.routers.putRouter({ address: r.address, publicKey: r.publicKey, owner: OWNER, active: true, checkedAt: 1 });
    for (let b = 0; b < B; b++) {
      // Spread over the last 30 days, oldest first.
      const at = now - 30 * DAY + Math.floor(((b + 0.5) / B) * 30 * DAY);
      const recs = r.records(N, 1 + i, 1000 * (b + 1)).map((x, k) => ({ ...x, startMs: at + k, endMs: at + k + 1 }));
      await store.ingest.storeBatch(r.address, r.build(recs), at);
    }
  }
  for (let k = 0; k < 30; k++) {
    const txid = '0x' + k.toString(16).padStart(64, '0');
    await store.settlement.addPending({
      txid,
      kind: 'redeem',
      raw: '00',
      validUntilBlock: 1,
      at: now - (30 - k) * DAY,
      items: Array.from({ length: R }, (_, i) => ({ kind: 'redeem' as const, channelId: 1 + i, amount: 1000 * (k + 1), owner: OWNER })),
    });
    await store.settlement.settle(txid, { status: 'confirmed', vmstate: 'HALT', detail: null, gasFee: 1, at: now - (30 - k) * DAY + 1000 });
  }
}

async function run(name: string, store: GatewayStores): Promise<void> {
  const t0 = performance.now();
  await fill(store);
  console.log(`${name}: ${R} routers x ${B} batches x ${N} records stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // Each load 10 s after the last: past the page's few-second cache, so every load renders (the audit keeps what it verified).
  let now = Date.now();
  const page = ownerPage({
    stores: store,
    statuses: new StatusBook(),
    deployment,
    clock: () => (now += 10_000),
    audit: { budget: Number.MAX_SAFE_INTEGER, budgetMs: Number.MAX_SAFE_INTEGER },
  });
  for (const label of ['first load (verifies every batch)', 'second load (nothing new)', 'third load']) {
    const t = performance.now();
    const r = await page({ days: 30 }, { kind: 'operator' });
    const ms = performance.now() - t;
    const verified = (r.html.match(/✔ Verified/g) ?? []).length;
    console.log(
      `  ${label}: ${ms.toFixed(0)} ms, ${r.html.length.toLocaleString('en-US')} bytes, ${verified}/${R} chains verified` +
        (label.startsWith('first') ? `, ${Math.round((R * B) / (ms / 1000)).toLocaleString('en-US')} batches/s` : ''),
    );
  }
  await store.close();
}

if (which === 'sqlite' || which === 'both') {
  const dir = mkdtempSync(join(tmpdir(), 'qlink-bench-owner-'));
  try {
    await run('SQLite', await openSqliteStore(join(dir, 'gw.db')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (which === 'postgres' || which === 'both') {
  const pg = await startPostgres();
  try {
    await run('PostgreSQL', await openPgStore(pg.url));
  } finally {
    await pg.stop();
  }
}
