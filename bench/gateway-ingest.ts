/**
 * Records verified and stored per second by the gateway's ingest path
 * (parse + zod + Merkle root + hash + P-256 signature + registry + every
 * record's voucher checked against its channel, a P-256 verification each +
 * one store transaction per batch + ack), SQLite and PostgreSQL, without the
 * broker: the payloads are pre-built and pre-signed, as routers would send
 * them. Each record carries a voucher of its own (no two alike), over
 * `channels` channels a router (10: ten records a channel a batch; 100: a
 * channel a record, the worst case, one verification a record); channels
 * come from an in-memory chain (one read per channel, then cached), so the
 * figure is the gateway's work.
 * With verify=off every voucher passes unchecked, as before vouchers were
 * checked at the door: the same payloads, to compare on the same machine.
 *   node dist/bench/gateway-ingest.js [sqlite|postgres|both] [routers] [batches/router] [records/batch] [verify=on|off] [channels/router=10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Ingestor } from '../gateway/src/ingest/ingestor.js';
import { ingestCounters } from '../gateway/src/ingest/metrics.js';
import { MemoryRegistry } from '../test/fakes/memory-registry.js';
import { MemoryChainChannels } from '../test/fakes/chain-channels.js';
import { VoucherCheck } from '../gateway/src/ingest/vouchers.js';
import { openPgStore } from '../gateway/src/store/postgres.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import type { GatewayStores } from '../gateway/src/store/store.js';
import { deployment, SimRouter } from '../test/gateway-sim.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { routerTopics } from '../protocol/src/index.js';

const [which = 'both', nRouters = '50', nBatches = '20', nRecords = '100', verify = 'on', nChannels = '10'] = process.argv.slice(2);
const R = Number(nRouters),
  B = Number(nBatches),
  N = Number(nRecords);

const OWNER = '0x' + '55'.repeat(20);
const CHANNELS = Number(nChannels);
const registry = new MemoryRegistry();
const chain = new MemoryChainChannels(deployment);
const routers = Array.from({ length: R }, () => new SimRouter());
for (const r of routers) registry.add(r.publicKey, OWNER);
const t0 = performance.now();
const payloads = routers.map((r) => {
  const chs = Array.from({ length: CHANNELS }, () => chain.open(OWNER, 1n << 50n));
  let amount = 0;
  return Array.from({ length: B }, () =>
    Buffer.from(
      JSON.stringify(
        r.build(
          r.records(N).map((x, i) => {
            const ch = chs[i % CHANNELS]!;
            amount += 1;
            return { ...x, channelId: ch.id, cost: 1, voucher: { amount, signature: ch.sign(amount) } };
          }),
        ),
      ),
    ),
  );
});
console.log(`signed ${R * B * N} vouchers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const bytes = payloads.flat().reduce((n, p) => n + p.length, 0);
console.log(`${R} routers x ${B} batches x ${N} records = ${R * B * N} records over ${CHANNELS} channels a router, ${(bytes / 1e6).toFixed(1)} MB of JSON`);

async function run(name: string, stores: GatewayStores): Promise<void> {
  const counters = ingestCounters();
  let acks = 0;
  const check =
    verify === 'off'
      ? Object.assign(new VoucherCheck(chain, deployment), { check: async () => ({ refused: new Map<number, string>(), unused: new Set<number>() }) })
      : new VoucherCheck(chain, deployment);
  const ing = new Ingestor(
    stores.ingest,
    registry,
    check,
    { deployment, maxPayloadBytes: 8 << 20, ack: () => void acks++ },
    counters,
    pino({ level: 'silent' }),
  );
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Routers in parallel, each router's batches in order (the Ingestor serialises per router).
  await Promise.all(payloads.map((ps, i) => Promise.all(ps.map((p) => ing.handle(routerTopics(routers[i]!.address).usage, p)))));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const stored = counters.get('qlink_gateway_records_stored_total');
  if (stored !== R * B * N || acks !== R * B) throw new Error(`${name}: stored ${stored} records, ${acks} acks`);
  const refused = counters.get('qlink_gateway_vouchers_refused_total');
  if (refused) throw new Error(`${name}: ${refused} genuine vouchers refused`);
  if ((await stores.settlement.vouchersToRedeem(R * CHANNELS + 1)).length !== R * CHANNELS) throw new Error(`${name}: not every channel's voucher is due`);
  console.log(
    `${name}, vouchers ${verify === 'off' ? 'unchecked' : 'verified'}: ${Math.round(stored / (ms / 1000))} records/s, ${Math.round((R * B) / (ms / 1000))} batches/s ` +
      `(${(ms / 1000).toFixed(2)} s wall, gateway CPU ${(((cpu.user + cpu.system) / 1000 / ms) * 100).toFixed(0)} %, RSS ${Math.round(process.memoryUsage.rss() / 1e6)} MB)`,
  );
  // A replay of everything: idempotency cost (verify again, store nothing, ack again).
  const t1 = performance.now();
  await Promise.all(payloads.map((ps, i) => Promise.all(ps.map((p) => ing.handle(routerTopics(routers[i]!.address).usage, p)))));
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
