import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { checkExactlyOnce } from '../bench/fleet-check.js';
import { FleetRouter } from '../bench/fleet-router.js';
import { connectFleet, runLoad, warmUp } from '../bench/fleet-run.js';
import { startIngest } from '../gateway/src/ingest/service.js';
import { MemoryChainChannels } from './fakes/chain-channels.js';
import { MemoryRegistry } from './fakes/memory-registry.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { deployment, SimRouter } from './gateway-sim.js';
import { freePort } from './helpers/mosquitto.js';
import { TlsBroker } from './helpers/tls-broker.js';
import { testGatewaySigner } from './helpers/gateway-key.js';
import { GatewayLink } from '../gateway/src/broker/link.js';

// The fleet simulator of scripts/bench-fleet against a real mosquitto and the
// gateway's real ingest (in this process; the registry is in memory, since
// the chain is not what this checks): what it counts must be what happened.
const dir = mkdtempSync(join(tmpdir(), 'qlink-fleet-sim-'));
// As bench-fleet runs it: TLS, a certificate per router and for the gateway, the ACL.
const broker = new TlsBroker(join(dir, 'broker'), await freePort());
t.teardown(async () => {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});
await broker.start();

async function gateway(registered: SimRouter[]) {
  const store = await openSqliteStore(':memory:');
  const registry = new MemoryRegistry();
  for (const r of registered) registry.add(r.publicKey, '0x' + '44'.repeat(20));
  const link = new GatewayLink(
    {
      url: broker.url,
      clientId: broker.gatewayUser,
      maxPayloadBytes: 1 << 20,
      caFile: broker.gateway.ca,
      certFile: broker.gateway.cert,
      keyFile: broker.gateway.key,
    },
    pino({ level: 'silent' }),
  );
  const ingest = startIngest(
    store.ingest,
    registry,
    new MemoryChainChannels(deployment),
    link,
    1 << 20,
    deployment,
    testGatewaySigner,
    pino({ level: 'silent' }),
  );
  link.start();
  for (let i = 0; i < 100 && !ingest.link.connected; i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 200)); // the subscription follows the CONNACK
  return {
    store,
    async stop() {
      await link.stop();
      await ingest.drain();
      await store.close();
    },
  };
}

let n = 0;
const fleetOf = (sims: SimRouter[]) => Promise.all(sims.map(async (s) => new FleetRouter(s, broker.url, 8, await broker.routerTls(s.key, `r${++n}`))));

t.test('every sealed batch acked once, timed, and found once in the store', async (t) => {
  const sims = Array.from({ length: 6 }, () => new SimRouter());
  const gw = await gateway(sims);
  const fleet = await fleetOf(sims);
  t.teardown(async () => {
    await Promise.all(fleet.map((r) => r.end()));
    await gw.stop();
  });
  await connectFleet(fleet);
  const warm = await warmUp(fleet, 3);
  t.equal(warm.tally.acked, 6, 'one warm-up batch a router');
  const run = await runLoad(fleet, { intervalMs: 200, records: 4, seconds: 1, drainMs: 5_000 });
  t.equal(run.sealed, 30, '5 batches a router in 1 s at 200 ms');
  t.equal(run.missing, 0);
  t.match(run.tally, { sent: 30, acked: 30, recordsAcked: 120, strayAcks: 0, publishErrors: 0, duplicateAcks: 0 });
  t.equal(run.tally.latencies.length, 30);
  t.ok(
    run.tally.latencies.every((l) => l > 0 && l < 5_000),
    'latencies are publish-to-ack times',
  );
  t.same(await checkExactlyOnce(gw.store, sims), { problems: [], batches: 36, records: 6 * 3 + 30 * 4 });
});

t.test('a router the gateway refuses shows as missing acks and as missing batches in the store', async (t) => {
  const sims = Array.from({ length: 3 }, () => new SimRouter());
  const gw = await gateway(sims.slice(0, 2));
  const fleet = await fleetOf(sims);
  t.teardown(async () => {
    await Promise.all(fleet.map((r) => r.end()));
    await gw.stop();
  });
  await connectFleet(fleet);
  const run = await runLoad(fleet, { intervalMs: 250, records: 2, seconds: 1, drainMs: 1_500 });
  t.equal(run.sealed, 12);
  t.equal(run.missing, 4, "the stranger's 4 batches");
  t.equal(run.tally.acked, 8);
  const check = await checkExactlyOnce(gw.store, sims);
  t.match(check.problems, [
    new RegExp(`router ${sims[2]!.address}: head null`),
    /8 batches stored, 12 sent/,
    /16 records stored, 24 sent/,
    /anomaly unknown-router reported/,
  ]);
});
