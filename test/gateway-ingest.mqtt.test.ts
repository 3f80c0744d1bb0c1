import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { startIngest } from '../gateway/src/ingest/service.js';
import { MemoryChainChannels } from './fakes/chain-channels.js';
import { MemoryRegistry } from './fakes/memory-registry.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { Broker, freePort, until } from './helpers/mosquitto.js';
import { deployment, routerClient, SimRouter } from './gateway-sim.js';
import { testGatewaySigner } from './helpers/gateway-key.js';
import { GatewayLink } from '../gateway/src/broker/link.js';

// Real mosquitto, SQLite store, routers registered in memory: the MQTT edge to the store and back.
const dir = mkdtempSync(join(tmpdir(), 'qlink-gw-ingest-'));
const broker = new Broker(await freePort(), join(dir, 'mosquitto.conf'));
await broker.start();
const store = await openSqliteStore(join(dir, 'gw.db'));
const registry = new MemoryRegistry();
const owner = '0x' + '22'.repeat(20);
const link = new GatewayLink({ url: broker.url, clientId: 'gw-test', maxPayloadBytes: 64 * 1024 }, pino({ level: 'silent' }));
const gw = startIngest(store.ingest, registry, new MemoryChainChannels(deployment), link, 64 * 1024, deployment, testGatewaySigner, pino({ level: 'silent' }));
link.start();
t.teardown(async () => {
  await link.stop();
  await gw.drain();
  await store.close();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});
await until('gateway connected', () => gw.link.connected);
await new Promise((r) => setTimeout(r, 200)); // subscriptions settle

const registered = async () => {
  const r = new SimRouter();
  registry.add(r.publicKey, owner);
  return { r, c: await routerClient(broker.url, r) };
};
const result = (kind: string) => gw.counters.get('qlink_gateway_batches_total', { result: kind });

t.test('batches from simulated routers are verified, stored and acked', async (t) => {
  const routers = await Promise.all([registered(), registered(), registered()]);
  for (const { r, c } of routers) for (let i = 0; i < 5; i++) await c.send(r.next(4));
  for (const { c } of routers) await until('acks', () => c.acks.length === 5);
  for (const { r, c } of routers) {
    t.same(c.acks, [1, 2, 3, 4, 5], 'acked in order');
    t.same(await store.ingest.head(r.address), { seq: 5, hash: r.prev, lastRecord: 20 });
    await c.end();
  }
});

t.test('a replayed batch is stored once and acked twice', async (t) => {
  const { r, c } = await registered();
  const b = r.next(3);
  await c.send(b);
  await c.send(b);
  await until('two acks', () => c.acks.length === 2);
  t.same(c.acks, [1, 1]);
  t.equal(
    (await store.reports.sessions({ router: r.address })).reduce((n, s) => n + s.bytesDown, 0),
    6000,
    'records once',
  );
  await c.end();
});

t.test('bad signature, unknown router, gap and wrong previous hash are refused and reported', async (t) => {
  const { r, c } = await registered();
  await c.send(r.next(2));
  await until('first ack', () => c.acks.length === 1);
  const refusedBefore = result('refused') + result('held');
  const forged = r.build(r.records(1), { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, advance: false });
  await c.send(forged);
  const stranger = new SimRouter();
  const sc = await routerClient(broker.url, stranger);
  await sc.send(stranger.next(1));
  const b2 = r.next(1);
  const b3 = r.next(1);
  await c.send(b3); // gap: 2 is missing
  const wrongPrev = r.build(r.records(1), { seq: 2, prev: 'ee'.repeat(32), advance: false });
  await c.send(wrongPrev);
  await until('four refusals', () => result('refused') + result('held') >= refusedBefore + 4);
  const mine = await store.reports.anomalies({ router: r.address });
  t.match(
    mine.find((a) => a.kind === 'bad-batch'),
    { seq: 2, detail: /signature/ },
  );
  t.match(
    mine.find((a) => a.kind === 'gap'),
    { seq: 3, status: 'held' },
  );
  t.match(
    mine.find((a) => a.kind === 'fork'),
    { seq: 2, detail: /previous hash/ },
  );
  t.match((await store.reports.anomalies({ router: stranger.address }))[0], { kind: 'unknown-router' });
  t.same(c.acks, [1], 'nothing refused was acked');
  t.same(sc.acks, []);
  await c.send(b2);
  await until('the held batch follows its predecessor', () => c.acks.length === 3);
  t.same(c.acks, [1, 2, 3]);
  t.equal((await store.ingest.head(r.address))?.seq, 3);
  t.same(await store.ingest.held(r.address, 3), [], 'hold resolved');
  await c.end();
  await sc.end();
});

t.test('malformed and oversized payloads are reported, nothing crashes', async (t) => {
  const { r, c } = await registered();
  const before = result('refused');
  await c.send(broker.audit.garbage('not json'));
  await c.send(broker.audit.garbage(JSON.stringify({ v: 1, router: 'x' })));
  await c.send(broker.audit.garbage(Buffer.alloc(100 * 1024, 0x20)));
  // A topic that names no router address is dropped by the broker link before ingest sees it (parseTopic).
  await c.send(JSON.stringify(r.next(1)), 'qlink/v1/not-an-address/usage');
  await until('all refused', () => result('refused') >= before + 3);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(result('refused'), before + 3, 'the stray topic is not a refused batch: it never reached ingest');
  const found = await store.reports.anomalies({ router: r.address });
  t.same(found.map((a) => a.kind).sort(), ['malformed', 'oversized']);
  t.equal(found.find((a) => a.kind === 'malformed')?.count, 2, 'repeats of one problem share a row');
  r.seq = 0;
  r.prev = '00'.repeat(32);
  await c.send(r.next(1));
  await until('still serving', () => c.acks.length === 1);
  t.equal(c.acks.length, 1, 'the gateway still stores and acks');
  await c.end();
});

t.test('store counters add up', async (t) => {
  t.ok(gw.counters.get('qlink_gateway_records_stored_total') >= 60);
  t.match(gw.counters.render(), /qlink_gateway_batches_total\{result="stored"\} \d+/);
});
