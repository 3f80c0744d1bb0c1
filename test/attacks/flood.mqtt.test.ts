import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import t from 'tap';
import { GatewayLink } from '../../gateway/src/broker/link.js';
import { startIngest } from '../../gateway/src/ingest/service.js';
import type { RpcChain } from '../../gateway/src/rpc/chain.js';
import { startRpc } from '../../gateway/src/rpc/service.js';
import { openSqliteStore } from '../../gateway/src/store/sqlite.js';
import { requestSigningBytes, routerTopics, scriptHashToVm } from '../../protocol/src/index.js';
import { signP256 } from '../../protocol/src/node/index.js';
import { MemoryChainChannels } from '../fakes/chain-channels.js';
import { MemoryRegistry } from '../fakes/memory-registry.js';
import { deployment, SimRouter } from '../gateway-sim.js';
import { testGatewaySigner } from '../helpers/gateway-key.js';
import { freePort, until } from '../helpers/mosquitto.js';
import { TlsBroker } from '../helpers/tls-broker.js';

// Flooding (issue 15): router A, registered, floods the gateway with batches,
// channel-service requests and relays. Each kind has a per-router budget; A
// is refused by name, B (registered, sending at a normal rate) is served in
// full. The broker, the gateway's ingest and channel service are real; the
// chain is a stub that relays into nothing.
const log = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'qlink-attack-flood-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const broker = new TlsBroker(join(dir, 'broker'), await freePort());
await broker.start();
t.teardown(() => broker.stop());

const [A, B] = [new SimRouter(), new SimRouter()];
const registry = new MemoryRegistry();
for (const r of [A, B]) registry.add(r.publicKey, '0x' + '44'.repeat(20));
const store = await openSqliteStore(':memory:');
t.teardown(() => store.close());
const relayed: string[] = [];
const chain: RpcChain = {
  channel: async () => null,
  relay: async (raw) => (relayed.push(raw.toString('hex')), '0x' + '11'.repeat(32)),
  executed: async () => null,
  chainTime: async () => 1n,
  settlementWindow: async () => 1n,
  plan: async () => null,
};
const QUOTAS = { batchesPerMinute: 30, rpcPerMinute: 60, relaysPerHour: 6 };
const gw = new GatewayLink(
  {
    url: broker.url,
    clientId: broker.gatewayUser,
    maxPayloadBytes: 1 << 20,
    caFile: broker.gateway.ca,
    certFile: broker.gateway.cert,
    keyFile: broker.gateway.key,
  },
  log,
);
const ingest = startIngest(
  store.ingest,
  registry,
  new MemoryChainChannels(deployment),
  gw,
  1 << 20,
  deployment,
  testGatewaySigner,
  log,
  QUOTAS.batchesPerMinute,
);
const rpc = startRpc(gw, testGatewaySigner, { store: store.settlement, registry, chain, deployment, log, quotas: QUOTAS });
gw.start();
t.teardown(async () => {
  await rpc.stop();
  await gw.stop();
  await ingest.drain();
});
await until('gateway connected', () => gw.connected);

/** A router's connection with its own certificate, collecting its acks and answers. */
async function routerClient(r: SimRouter, name: string) {
  const tls = await broker.routerTls(r.key, name);
  const c: MqttClient = await connectAsync(broker.url, {
    protocolVersion: 5,
    clientId: r.address,
    reconnectPeriod: 0,
    ca: readFileSync(tls.ca),
    cert: readFileSync(tls.cert),
    key: readFileSync(tls.key),
  });
  t.teardown(() => c.endAsync(true));
  const acks: number[] = [];
  const answers: Array<{ id: string | null; ok: boolean; error?: { code: string; message: string } }> = [];
  c.on('message', (topic, p) => {
    const m = JSON.parse(p.toString());
    if (topic.endsWith('/ack')) acks.push(...(m.seqs as number[]));
    else answers.push(m);
  });
  await c.subscribeAsync([routerTopics(r.address).ack, routerTopics(r.address).rpcResult], { qos: 1 });
  let n = 0;
  const ask = (method: string, params: object) => {
    const req = {
      v: 1,
      id: `${name}-${++n}`,
      method,
      params,
      auth: { key: r.publicKey, nonce: randomBytes(16).toString('hex'), expires: Date.now() + 60_000 },
    };
    const sig = signP256(r.key, requestSigningBytes(r.address, req)).toString('hex');
    return c.publishAsync(routerTopics(r.address).rpc, JSON.stringify({ ...req, auth: { ...req.auth, sig } }), { qos: 1 });
  };
  return { c, acks, answers, ask, send: (b: object) => c.publishAsync(routerTopics(r.address).usage, JSON.stringify(b), { qos: 1 }) };
}
const a = await routerClient(A, 'a');
const b = await routerClient(B, 'b');
await sleep(300);

t.test('batch flooding: A is held to its budget, B is stored and acked in full', async (t) => {
  const flood = Array.from({ length: 200 }, () => A.next(1));
  await Promise.all(flood.map((x) => a.send(x)));
  for (let i = 0; i < 10; i++) await b.send(B.next(2));
  await until('B acked', () => b.acks.length === 10, 20_000);
  await sleep(1_000);
  t.same(b.acks, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "B's ten batches stored and acked, in order");
  t.ok(a.acks.length <= QUOTAS.batchesPerMinute + 2, `A got ${a.acks.length} of 200 acked: its budget, ${QUOTAS.batchesPerMinute} a minute`);
  t.ok(a.acks.length >= QUOTAS.batchesPerMinute - 1, 'up to its budget it is served');
  t.ok(ingest.counters.get('qlink_gateway_batches_total', { result: 'over-quota' }) > 100, 'the rest counted as over quota, not stored');
});

t.test('request flooding: A is refused naming the limit, B is answered', async (t) => {
  const before = a.answers.length;
  await Promise.all(Array.from({ length: 150 }, (_, i) => a.ask('channel', { channelId: i + 1, router: A.publicKey })));
  await until('A answered', () => a.answers.length - before === 150, 20_000);
  const mine = a.answers.slice(before);
  const over = mine.filter((x) => x.error?.code === 'over-quota');
  t.ok(over.length >= 150 - 60 - 2, `${over.length} of 150 refused as over quota`);
  t.match(over[0]?.error?.message, /channel-service requests: at most 60 a minute a router/, 'the refusal names the limit');
  await b.ask('channel', { channelId: 1, router: B.publicKey });
  await until('B answered', () => b.answers.length === 1, 10_000);
  t.match(b.answers[0], { ok: true }, 'B is served meanwhile');
});

t.test('relay flooding: A gets its few relays, then a refusal naming the limit; only calls of this contract are relayed', async (t) => {
  await sleep(2_000); // let A's request budget refill a little
  const tx = Buffer.concat([randomBytes(40), Buffer.from(scriptHashToVm(deployment.contract)), randomBytes(40)]).toString('base64');
  const before = a.answers.length;
  const fresh = new SimRouter();
  registry.add(fresh.publicKey, '0x' + '44'.repeat(20));
  const f = await routerClient(fresh, 'f');
  await sleep(300);
  await Promise.all(Array.from({ length: 12 }, () => f.ask('relay', { tx, waitMs: 0 })));
  await until('answers', () => f.answers.length === 12, 20_000);
  const over = f.answers.filter((x) => x.error?.code === 'over-quota');
  t.equal(f.answers.length - over.length, 5, 'its burst of relays went through');
  t.match(over[0]?.error?.message, /relays: at most 6 an hour a router/);
  const other = Buffer.concat([randomBytes(80)]).toString('base64');
  await b.ask('relay', { tx: other, waitMs: 0 });
  await until('B answered', () => b.answers.length === 2, 10_000);
  t.match(
    b.answers[1],
    { ok: false, error: { code: 'refused', message: /does not call the qlink contract/ } },
    'a transaction for another contract is not relayed',
  );
  t.equal(a.answers.length, before, 'nothing for A');
  writeFileSync(join(dir, 'relayed.txt'), relayed.join('\n'));
});
