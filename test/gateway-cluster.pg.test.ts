import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openPgStore } from '../gateway/src/store/postgres.js';
import { TEST_GATEWAY_WIF } from './helpers/gateway-key.js';
import { Broker, freePort, until } from './helpers/mosquitto.js';
import { createDatabase, startPostgres } from './helpers/postgres.js';
import { deployment, routerClient, SimRouter } from './gateway-sim.js';

// Two qlink-gateway processes on one PostgreSQL behind one shared
// subscription; one is killed with SIGKILL mid-stream and started again.
// Routers behave like the agent's uplink: unacked batches are sent again, in
// order, until acked. Afterwards every batch is stored exactly once.
const ROUTERS = 12;
const BATCHES = 30;
const RECORDS = 5;

const dir = mkdtempSync(join(tmpdir(), 'qlink-gw-cluster-'));
const pg = await startPostgres();
const broker = new Broker(await freePort(), join(dir, 'mosquitto.conf'));
const procs = new Set<ChildProcess>();
t.teardown(async () => {
  for (const p of procs) if (p.exitCode === null && !p.signalCode) p.kill('SIGKILL');
  await broker.stop();
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
});
await broker.start();
const url = await createDatabase(pg, 'gateway');
const store = await openPgStore(url);
t.teardown(() => store.close());

const routers = Array.from({ length: ROUTERS }, () => new SimRouter());
// The registry's store cache stands in for the chain (its RPC URL points nowhere): a known, fresh entry needs no RPC call.
for (const r of routers) {
  await store.routers.putRouter({ address: r.address, publicKey: r.publicKey, owner: '0x' + '44'.repeat(20), active: true, checkedAt: Date.now() });
}

const config = async (name: string) => {
  const path = join(dir, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      broker: { url: broker.url, clientId: `gw-${name}` },
      store: { postgres: url, poolSize: 4 },
      chain: { rpc: 'http://127.0.0.1:9', networkMagic: deployment.networkMagic, contract: deployment.contract },
      registry: { ttlMs: 3_600_000 },
      // One key for the cluster: routers pin the gateway's key, whichever gateway answers.
      signingKey: { wif: TEST_GATEWAY_WIF },
      api: { port: await freePort() },
      log: { level: 'info' },
    }),
  );
  return path;
};
const start = (name: string, cfg: string) => {
  const log = join(dir, `${name}.log`);
  const p = spawn(process.execPath, ['dist/gateway/src/main.js', '--config', cfg], { stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')] });
  procs.add(p);
  return { p, connected: () => readFileSync(log, 'utf8').includes('broker connected') };
};
const cfgA = await config('a');
const cfgB = await config('b');
let a = start('a', cfgA);
const b = start('b', cfgB);
await until('both gateways connected', () => a.connected() && b.connected(), 30_000);
await new Promise((r) => setTimeout(r, 300));

t.test('no batch stored twice, none lost, while one gateway is killed and restarted', async (t) => {
  const clients = await Promise.all(routers.map((r) => routerClient(broker.url, r)));
  t.teardown(() => Promise.all(clients.map((c) => c.end())));
  const batches = routers.map((r) => Array.from({ length: BATCHES }, () => r.next(RECORDS)));
  const acked = () => clients.reduce((n, c) => n + new Set(c.acks).size, 0);
  let stop = false;
  // Each router: send what is new (window of 4 unacked), and everything unacked again after 1.5 s without progress.
  const pumps = clients.map(async (c, i) => {
    let sent = 0;
    let lastProgress = Date.now();
    let seen = 0;
    while (!stop) {
      const done = new Set(c.acks);
      const oldest = batches[i]!.findIndex((bb) => !done.has(bb.seq));
      if (oldest < 0) return;
      if (done.size !== seen) {
        seen = done.size;
        lastProgress = Date.now();
      }
      if (Date.now() - lastProgress > 1_500) {
        sent = oldest;
        lastProgress = Date.now();
      }
      while (sent < BATCHES && sent < oldest + 4) await c.send(batches[i]![sent++]!);
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  await until('a quarter acked', () => acked() >= (ROUTERS * BATCHES) / 4, 60_000);
  a.p.kill('SIGKILL');
  t.comment(`killed gateway a after ${acked()} acks`);
  await new Promise((r) => setTimeout(r, 1_000));
  a = start('a2', cfgA);
  await until('a restarted', () => a.connected(), 30_000);
  await until('every batch acked', () => acked() === ROUTERS * BATCHES, 120_000).finally(() => {
    stop = true;
  });
  await Promise.all(pumps);
  t.match(await store.reports.totals(), { batches: ROUTERS * BATCHES, records: ROUTERS * BATCHES * RECORDS });
  for (const r of routers)
    t.same(await store.ingest.head(r.address), { seq: BATCHES, hash: r.prev, lastRecord: BATCHES * RECORDS }, `router ${r.address} complete`);
  const forks = (await store.reports.anomalies({})).filter((x) => x.kind !== 'gap');
  t.same(forks, [], 'no refusals; transient gaps only');
  t.comment(`held gaps (resolved by later arrivals): ${(await store.reports.anomalies({ status: 'resolved' })).length}`);
});
