/**
 * Records verified and stored per second by the gateway's ingest path
 * (parse + zod + Merkle root + hash + P-256 signature + registry + one store
 * transaction per batch + ack), SQLite and PostgreSQL, without the broker:
 * the payloads are pre-built and pre-signed, as routers would send them.
 *   node dist/bench/gateway-ingest.js [sqlite|postgres|both] [routers] [batches/router] [records/batch]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Ingestor } from '../gateway/src/ingest/ingestor.js';
import { ingestCounters } from '../gateway/src/ingest/metrics.js';
import { MemoryRegistry } from '../gateway/src/registry/registry.js';
import { openPgStore } from '../gateway/src/store/postgres.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import type { GatewayStore } from '../gateway/src/store/store.js';
import { deployment, SimRouter } from '../test/gateway-sim.js';
import { startPostgres } from '../test/helpers/postgres.js';

const [which = 'both', nRouters = '50', nBatches = '20', nRecords = '100'] = process.argv.slice(2);
const R = Number(nRouters), B = Number(nBatches), N = Number(nRecords);

const registry = new MemoryRegistry();
const routers = Array.from({ length: R }, () => new SimRouter());
for (const r of routers) registry.add(r.publicKey, '0x' + '55'.repeat(20));
const payloads = routers.map((r) => Array.from({ length: B }, () => Buffer.from(JSON.stringify(r.next(N, 7, 1000)))));
const bytes = payloads.flat().reduce((n, p) => n + p.length, 0);
console.log(`${R} routers x ${B} batches x ${N} records = ${R * B * N} records, ${(bytes / 1e6).toFixed(1)} MB of JSON`);

async function run(name: string, store: GatewayStore): Promise<void> {
  const counters = ingestCounters();
  let acks = 0;
  const ing = new Ingestor(store, registry, { deployment, maxPayloadBytes: 8 << 20, ack: () => void acks++ }, counters, pino({ level: 'silent' }));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Routers in parallel, each router's batches in order (the Ingestor serialises per router).
  await Promise.all(payloads.map((ps, i) => Promise.all(ps.map((p) => ing.handle(`qlink/v1/${routers[i]!.address}/usage`, p)))));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const stored = counters.get('qlink_gateway_records_stored_total');
  if (stored !== R * B * N || acks !== R * B) throw new Error(`${name}: stored ${stored} records, ${acks} acks`);
  console.log(`${name}: ${Math.round(stored / (ms / 1000))} records/s, ${Math.round((R * B) / (ms / 1000))} batches/s `
    + `(${(ms / 1000).toFixed(2)} s wall, gateway CPU ${((cpu.user + cpu.system) / 1000 / ms * 100).toFixed(0)} %, RSS ${Math.round(process.memoryUsage.rss() / 1e6)} MB)`);
  // A replay of everything: idempotency cost (verify again, store nothing, ack again).
  const t1 = performance.now();
  await Promise.all(payloads.map((ps, i) => Promise.all(ps.map((p) => ing.handle(`qlink/v1/${routers[i]!.address}/usage`, p)))));
  const ms1 = performance.now() - t1;
  console.log(`${name}: replayed duplicates ${Math.round((R * B * N) / (ms1 / 1000))} records/s checked and acked`);
}

const dir = mkdtempSync(join(tmpdir(), 'qlink-bench-gw-'));
try {
  if (which === 'sqlite' || which === 'both') {
    const s = await openSqliteStore(join(dir, 'gw.db'));
    await run('sqlite', s);
    await s.close();
  }
  if (which === 'postgres' || which === 'both') {
    const pg = await startPostgres({ fsync: true });
    try {
      const s = await openPgStore(pg.url, 8);
      await run('postgres', s);
      await s.close();
    } finally {
      await pg.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
