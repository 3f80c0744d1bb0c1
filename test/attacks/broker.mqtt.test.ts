import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import t from 'tap';
import { enrollHandler } from '../../gateway/src/api/enroll.js';
import { addressOfKey, enrollMessage, routerTopics } from '../../protocol/src/index.js';
import { certifies, compressedPublicKey, newKeyPair, signP256 } from '../../protocol/src/node/index.js';
import { MemoryRegistry } from '../fakes/memory-registry.js';
import { freePort } from '../helpers/mosquitto.js';
import { TlsBroker, type ClientTls } from '../helpers/tls-broker.js';

// Attacks on the broker (issue 15): the broker as production runs it (TLS only,
// a fleet-CA certificate required, CN = username = client id, the ACL of
// gateway/src/broker/mosquitto.ts). Router A is a real, registered router
// trying to read or write what is router B's, or the gateway's.
const dir = mkdtempSync(join(tmpdir(), 'qlink-attack-broker-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const broker = new TlsBroker(join(dir, 'broker'), await freePort());
await broker.start();
t.teardown(() => broker.stop());

const [keyA, keyB] = [newKeyPair(), newKeyPair()];
const A = await broker.routerTls(keyA.privateKey, 'a');
const B = await broker.routerTls(keyB.privateKey, 'b');
const files = (f: ClientTls) => ({ ca: readFileSync(f.ca), cert: readFileSync(f.cert), key: readFileSync(f.key) });
const connect = (f: ClientTls | null, clientId: string) =>
  connectAsync(broker.url, {
    protocolVersion: 5,
    clientId,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...(f ? files(f) : { ca: readFileSync(broker.caFile) }),
  });
const clients: MqttClient[] = [];
const open = async (f: ClientTls, id: string) => {
  const c = await connect(f, id);
  clients.push(c);
  return c;
};
t.teardown(() => Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined))));
const inbox = (c: MqttClient) => {
  const got: string[] = [];
  c.on('message', (topic, p) => got.push(`${topic} ${p.toString()}`));
  return got;
};

const gw = await open(broker.gateway, 'qlink-gateway-1');
const gwGot = inbox(gw);
await gw.subscribeAsync(['$share/qlink-gateway/qlink/v1/+/usage', '$share/qlink-gateway/qlink/v1/+/rpc'], { qos: 1 });
const a = await open(A, A.address);
const b = await open(B, B.address);
const bGot = inbox(b);
await b.subscribeAsync([routerTopics(B.address).ack, routerTopics(B.address).rpcResult], { qos: 1 });

t.test('no certificate, or one the fleet CA did not sign: no connection', async (t) => {
  await t.rejects(connect(null, 'anonymous'), /certificate required|alert|ECONNRESET|closed/i, 'anonymous refused at the TLS handshake');
  const { initFleetCa, openFleetCa } = await import('../../gateway/src/ca/fleet-ca.js');
  await initFleetCa(join(dir, 'rogue-ca'));
  const rogue = openFleetCa(join(dir, 'rogue-ca'));
  const k = newKeyPair();
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'rogue.crt'), await rogue.issueRouter(k.publicKey, addressOfKey(k.publicKey)));
  writeFileSync(join(dir, 'rogue.key'), k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  await t.rejects(connect({ ca: broker.caFile, cert: join(dir, 'rogue.crt'), key: join(dir, 'rogue.key') }, 'rogue'), /./, 'a self-made CA is refused');
  // A's certificate with another key: the handshake proves possession of the certified key.
  await t.rejects(connect({ ca: broker.caFile, cert: A.cert, key: B.key }, A.address), /./, "A's certificate without A's key is refused");
});

t.test("router A cannot write B's topics, nor the gateway's", async (t) => {
  for (const topic of [
    routerTopics(B.address).usage,
    routerTopics(B.address).rpc,
    routerTopics(B.address).ack,
    routerTopics(A.address).ack,
    routerTopics(A.address).rpcResult,
    routerTopics(B.address).cmd,
  ]) {
    await t.rejects(
      a.publishAsync(topic, 'forged', { qos: 1 }),
      /Not authorized/,
      `A publishing on ${topic.split('/').slice(3).join('/')} of ${topic.includes(B.address) ? 'B' : 'itself'}`,
    );
  }
  await a.publishAsync(routerTopics(A.address).usage, broker.audit.garbage('own batch'), { qos: 1 });
  await sleep(300);
  t.same(gwGot, [`${routerTopics(A.address).usage} own batch`], 'the gateway got only what A may send');
  t.same(bGot, [], 'B got nothing forged');
});

t.test("router A subscribed to B's answers reads none of them", async (t) => {
  const aGot = inbox(a);
  await a.subscribeAsync([routerTopics(B.address).ack, routerTopics(B.address).rpcResult, 'qlink/v1/+/ack', '#'], { qos: 1 });
  await gw.publishAsync(routerTopics(B.address).ack, broker.audit.garbage('ack for B'), { qos: 1 });
  await gw.publishAsync(routerTopics(B.address).rpcResult, broker.audit.garbage('answer for B'), { qos: 1 });
  await sleep(300);
  t.same(aGot, [], 'A reads nothing of B, even with wildcards');
  t.same(bGot, [`${routerTopics(B.address).ack} ack for B`, `${routerTopics(B.address).rpcResult} answer for B`], 'B gets its own');
});

t.test("a client cannot take over a router's session with its client id", async (t) => {
  const thief = await open(A, B.address);
  await sleep(300);
  t.ok(b.connected, "B stays connected: the broker gives A's certificate A's client id, whatever A asks for");
  t.ok(thief.connected);
  await gw.publishAsync(routerTopics(B.address).ack, broker.audit.garbage('still for B'), { qos: 1 });
  await sleep(300);
  t.equal(bGot.at(-1), `${routerTopics(B.address).ack} still for B`, 'and still gets its answers');
});

t.test('enrollment: a registered router gets a certificate for its own key; nobody else does', async (t) => {
  const registry = new MemoryRegistry();
  const d = { networkMagic: 1903980139, contract: '0x' + '21'.repeat(20) };
  const k = newKeyPair();
  registry.add(k.publicKey, '0x' + '44'.repeat(20));
  let now = 1_800_000_000_000;
  const enroll = enrollHandler(broker.ca, registry, d, pino({ level: 'silent' }), () => now);
  const body = (key = k, at = now) => ({ router: key.publicKey, at, signature: signP256(key.privateKey, enrollMessage(d, key.publicKey, at)).toString('hex') });
  const stranger = newKeyPair();
  await t.rejects(enroll(body(stranger)), { status: 403, message: /not registered/ }, 'an unregistered key');
  await t.rejects(enroll({ ...body(), signature: body(stranger).signature }), { status: 403, message: /not signed/ }, "a registered key, another's signature");
  await t.rejects(enroll(body(k, now - 10 * 60_000)), { status: 400, message: /minutes from the gateway's/ }, 'an old request');
  await t.rejects(enroll({ router: 'x' }), { status: 400, message: /enroll: / }, 'malformed');
  const r = await enroll(body());
  t.ok(certifies(r.cert, broker.ca.caPem, k.publicKey, now), "the certificate certifies the router's key under the fleet CA");
  t.match(r.cert, /BEGIN CERTIFICATE/);
  t.notOk(certifies(r.cert, broker.ca.caPem, compressedPublicKey(stranger.privateKey), now), 'and no other key');
  await t.rejects(enroll(body()), { status: 429, message: /one certificate a minute/ }, 'at most one a minute a router');
  now += 61_000;
  t.ok(await enroll(body()), 'a minute later, another');
});
