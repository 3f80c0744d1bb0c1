import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { wallet } from '@cityofzion/neon-js';
import { connectAsync } from 'mqtt';
import t from 'tap';
import { parseConfig } from '../agent/src/config/schema.js';
import { Gatekeeper } from '../agent/src/gatekeeper.js';
import { identityFromKey } from '../agent/src/identity/router-key.js';
import { createLogger } from '../agent/src/log.js';
import { openStore } from '../agent/src/store/db.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import { UsageBatcher } from '../agent/src/usage/batcher.js';
import { type Batch, batchHeader, batchProblem, batchSchema, routerTopics, toHex, ZERO_HASH } from '../protocol/src/index.js';
import { verifyP256 } from '../protocol/src/node/index.js';
import { UsageRecorder } from '../agent/src/usage/recorder.js';
import { UsageUplink } from '../agent/src/uplink/mqtt.js';
import { MqttLink } from '../agent/src/uplink/link.js';
import { Outbox } from '../agent/src/uplink/outbox.js';
import { GatewaySigner } from '../gateway/src/identity/signer.js';
import { MemoryGate } from './fakes/memory-gate.js';
import { Broker, freePort, until } from './helpers/mosquitto.js';
import { signedAck, TEST_GATEWAY_KEY } from './helpers/gateway-key.js';

const dir = mkdtempSync(join(tmpdir(), 'qlink-uplink-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('batches reach a verifying gateway over a real mosquitto, through a broker outage', async (t) => {
  const broker = new Broker(await freePort(), join(dir, 'mosquitto.conf'));
  t.teardown(() => broker.stop());
  await broker.start();

  const config = parseConfig({
    dataDir: join(dir, 'data'),
    chain: { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' },
    uplink: { gatewayKey: TEST_GATEWAY_KEY, url: `mqtt://127.0.0.1:${broker.port}`, reconnectMs: 200, resendMs: 1_500 },
  });
  const identity = identityFromKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  const db = openStore(config.dataDir);
  t.teardown(() => db.close());
  const gate = new MemoryGate();
  let now = 1_700_000_000_000;
  const sessions = new SessionStore(db, new UsageRecorder(db, { intervalMs: 1_000 }));
  const gk = new Gatekeeper(
    gate,
    sessions,
    { guestInterface: 'br-lan', portalPort: 8088, walled4: [], walled6: [], blocked4: [], blocked6: [] },
    createLogger('silent'),
    () => now,
  );
  await gk.start();
  const macs = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'];
  for (const m of macs) await gk.auth(m, { endsAt: null, quotaBytes: null });
  const batcher = new UsageBatcher(db, identity, config.chain!);
  const outbox = new Outbox(db);
  const link = new MqttLink(config.uplink!, identity.address, createLogger('silent'));
  const uplink = new UsageUplink(link, outbox, createLogger('silent'));
  t.teardown(async () => {
    uplink.stop();
    await link.stop();
  });

  // The gateway side: verify everything, store each batch once, ack.
  const got = new Map<number, Batch>();
  const order: number[] = [];
  let deliveries = 0;
  const problems: string[] = [];
  const gw = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 200, clientId: 'test-gateway' });
  t.teardown(() => gw.endAsync(true));
  gw.on('message', (_topic, payload) => {
    deliveries++;
    const b = batchSchema.parse(JSON.parse(payload.toString()));
    const problem = batchProblem(b, verifyP256);
    const msg = toHex(batchHeader(b, b.router, b.seq, b.prev, b.root));
    if (problem) problems.push(problem);
    else if (!wallet.verify(msg, b.signature, b.router)) problems.push('neon-js refused the signature');
    else if (wallet.getAddressFromScriptHash(wallet.getScriptHashFromPublicKey(b.router)) !== identity.address) problems.push('foreign router');
    else if (!got.has(b.seq)) {
      const prev = b.seq === 1 ? ZERO_HASH : got.get(b.seq - 1)?.hash;
      if (prev === undefined) return; // a gap: do not ack, the router sends it again in order
      if (prev !== b.prev) problems.push(`hash chain broken at ${b.seq}`);
      got.set(b.seq, b);
      order.push(b.seq);
    }
    if (got.has(b.seq)) gw.publish(routerTopics(identity.address).ack, signedAck(identity.address, [b.seq]), { qos: 1 });
  });
  gw.on('connect', () => gw.subscribe(`qlink/v1/${identity.address}/usage`, { qos: 1 }));
  await gw.subscribeAsync(`qlink/v1/${identity.address}/usage`, { qos: 1 });

  const traffic = async (rounds: number) => {
    for (let i = 0; i < rounds; i++) {
      macs.forEach((m, k) => {
        gate.traffic(m, 1000 * (k + 1) + i, 100 + i);
      });
      now += 1_000;
      await gk.poll();
      batcher.sealAll(now, 5);
      uplink.pump();
    }
  };

  uplink.start();
  link.start();
  await until('uplink connected', () => uplink.connected);
  await traffic(10);
  await until('first batches acked', () => outbox.size() === 0);
  const before = got.size;
  t.ok(before >= 6, `${before} batches delivered and acked`);

  await broker.stop();
  await until('uplink sees the outage', () => !uplink.connected);
  await traffic(20); // guests keep using the network while the broker is down
  const queued = outbox.size();
  t.ok(queued >= 12, `${queued} batches wait in the outbox while the broker is down`);
  await sleep(3_000);
  await broker.start();
  await until('everything acked after the broker returned', () => outbox.size() === 0 && got.size === before + queued);
  for (const m of macs) await gk.deauth(m, 'deauth');
  batcher.sealAll(now, 5);
  uplink.pump();
  await until('final batches acked', () => outbox.size() === 0 && !db.prepare('SELECT 1 FROM usage_records WHERE batch_seq IS NULL').get());

  t.same(problems, [], 'every batch verified');
  t.same(
    order,
    [...order].sort((a, b) => a - b),
    'stored in sequence order',
  );
  t.same(
    order,
    Array.from({ length: order.length }, (_, i) => i + 1),
    'no gap in the sequence',
  );
  const recs = [...got.values()].flatMap((b) => b.records);
  t.equal(new Set(recs.map((r) => r.id)).size, recs.length, 'no record twice');
  t.same(
    recs.map((r) => r.id),
    Array.from({ length: recs.length }, (_, i) => i + 1),
    'every record id, in order',
  );
  for (const [k, m] of macs.entries()) {
    const s = db.prepare('SELECT id, bytes_down, bytes_up FROM sessions WHERE mac = ?').get(m) as { id: number; bytes_down: number; bytes_up: number };
    const mine = recs.filter((r) => r.sessionId === s.id);
    t.equal(
      mine.reduce((a, r) => a + r.bytesDown, 0),
      s.bytes_down,
      `guest ${k + 1}: bytes down match the counters`,
    );
    t.equal(
      mine.reduce((a, r) => a + r.bytesUp, 0),
      s.bytes_up,
      `guest ${k + 1}: bytes up match the counters`,
    );
  }
  t.equal(outbox.size(), 0, 'outbox empty after the acks');
  t.comment(`${got.size} batches, ${recs.length} records, ${deliveries} deliveries (QoS 1 may deliver a batch more than once; stored once)`);
});

t.test('config: uplink needs the chain deployment; TLS and credentials are accepted', async (t) => {
  t.throws(() => parseConfig({ uplink: { url: 'mqtt://x', gatewayKey: TEST_GATEWAY_KEY } }), /uplink needs chain/);
  t.throws(
    () => parseConfig({ chain: { networkMagic: 1, contract: '0x' + '1'.repeat(40) }, uplink: { url: 'mqtt://x' } }),
    /uplink\.gatewayKey/,
    'no uplink without the pinned gateway key',
  );
  t.throws(() => parseConfig({ chain: { networkMagic: 1, contract: '0x12' } }), /script hash/);
  const c = parseConfig({
    chain: { networkMagic: 1, contract: '0x' + '1'.repeat(40) },
    uplink: { gatewayKey: TEST_GATEWAY_KEY, url: 'mqtts://broker.example:8883', username: 'r1', password: 'pw', caFile: '/etc/qlink/ca.pem' },
  });
  t.same([c.uplink!.username, c.uplink!.rejectUnauthorized, c.usage.recordIntervalMs], ['r1', true, 60_000]);
});

t.test('an ack not signed by the pinned gateway key deletes nothing', async (t) => {
  const broker = new Broker(await freePort(), join(dir, 'mosquitto-forged.conf'));
  t.teardown(() => broker.stop());
  await broker.start();
  const config = parseConfig({
    dataDir: join(dir, 'data-forged'),
    chain: { networkMagic: 1, contract: '0x' + '3'.repeat(40) },
    uplink: { gatewayKey: TEST_GATEWAY_KEY, url: broker.url, reconnectMs: 200, resendMs: 60_000 },
  });
  const identity = identityFromKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  const db = openStore(config.dataDir);
  t.teardown(() => db.close());
  const insert = db.prepare(
    'INSERT INTO usage_records (session_id, channel_id, start_ms, end_ms, bytes_down, bytes_up, seconds, cost) VALUES (1, NULL, ?, ?, 1, 1, 1, 0)',
  );
  for (let i = 0; i < 3; i++) insert.run(i * 1000, i * 1000 + 1000);
  new UsageBatcher(db, identity, config.chain!).sealAll(Date.now(), 1);
  const outbox = new Outbox(db);
  t.equal(outbox.size(), 3, 'three batches waiting');
  const link = new MqttLink(config.uplink!, identity.address, createLogger('silent'));
  const uplink = new UsageUplink(link, outbox, createLogger('silent'));
  t.teardown(async () => {
    uplink.stop();
    await link.stop();
  });
  link.start();
  await until('router connected', () => link.connected);
  const forger = await connectAsync(broker.url, { clientId: 'forger' });
  t.teardown(() => forger.endAsync(true));
  const ack = routerTopics(identity.address).ack;
  const impostor = new GatewaySigner(wallet.getWIFFromPrivateKey('11'.repeat(32)));
  await forger.publishAsync(ack, JSON.stringify({ v: 1, seqs: [1, 2, 3], sig: '00'.repeat(64) }), { qos: 1 });
  await forger.publishAsync(ack, JSON.stringify(impostor.seal(identity.address, { v: 1, seqs: [1, 2, 3] })), { qos: 1 });
  await forger.publishAsync(ack, signedAck(routerTopics('N' + '1'.repeat(33)).ack.split('/')[2]!, [1, 2, 3]), { qos: 1 });
  await forger.publishAsync(ack, broker.audit.garbage(JSON.stringify({ v: 1, seqs: [1, 2, 3] })), { qos: 1 });
  await sleep(700);
  t.equal(outbox.size(), 3, 'unsigned, a zero signature, another key, one signed for another router: every batch stays');
  await forger.publishAsync(ack, signedAck(identity.address, [1, 2, 3]), { qos: 1 });
  await until("the gateway's ack deletes them", () => outbox.size() === 0);
});

t.test('at most 64 unacked batches in flight, so a broker never has to drop a backlog', async (t) => {
  const broker = new Broker(await freePort(), join(dir, 'mosquitto-window.conf'));
  t.teardown(() => broker.stop());
  await broker.start();
  const config = parseConfig({
    dataDir: join(dir, 'data-window'),
    chain: { networkMagic: 1, contract: '0x' + '2'.repeat(40) },
    uplink: { gatewayKey: TEST_GATEWAY_KEY, url: broker.url, reconnectMs: 200, resendMs: 60_000 },
  });
  const identity = identityFromKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  const db = openStore(config.dataDir);
  t.teardown(() => db.close());
  const insert = db.prepare(
    'INSERT INTO usage_records (session_id, channel_id, start_ms, end_ms, bytes_down, bytes_up, seconds, cost) VALUES (1, NULL, ?, ?, 1, 1, 1, 0)',
  );
  for (let i = 0; i < 200; i++) insert.run(i * 1000, i * 1000 + 1000);
  new UsageBatcher(db, identity, config.chain!).sealAll(Date.now(), 1);
  const gw = await connectAsync(broker.url, { clientId: 'window-gateway' });
  t.teardown(() => gw.endAsync(true));
  const seqs: number[] = [];
  gw.on('message', (_t, p) => seqs.push((JSON.parse(p.toString()) as { seq: number }).seq));
  await gw.subscribeAsync(`qlink/v1/${identity.address}/usage`, { qos: 1 });
  const outbox = new Outbox(db);
  const link = new MqttLink(config.uplink!, identity.address, createLogger('silent'));
  const uplink = new UsageUplink(link, outbox, createLogger('silent'));
  t.teardown(async () => {
    uplink.stop();
    await link.stop();
  });
  link.start();
  await until('first window delivered', () => seqs.length >= 64);
  uplink.pump();
  await sleep(1_000);
  t.equal(seqs.length, 64, 'no more than the window without acks');
  await gw.publishAsync(routerTopics(identity.address).ack, signedAck(identity.address, [1, 2, 3]), { qos: 1 });
  await until('three more after three acks', () => seqs.length >= 67);
  await sleep(500);
  t.same(seqs.slice(64), [65, 66, 67], 'each ack lets one more go, in order');
});
