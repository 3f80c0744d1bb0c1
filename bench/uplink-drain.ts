// Outbox drain rate after an outage: N sealed batches wait in the outbox, then
// the uplink connects to a local mosquitto and a gateway acks each batch as it
// arrives; timed from connect to an empty outbox.
// Run: scripts/bench-uplink [batches] [recordsPerBatch]
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { parseConfig } from '../agent/src/config/schema.js';
import { identityFromKey } from '../agent/src/identity/router-key.js';
import { createLogger } from '../agent/src/log.js';
import { openStore } from '../agent/src/store/db.js';
import { UsageBatcher } from '../agent/src/usage/batcher.js';
import { MqttLink } from '../agent/src/uplink/link.js';
import { UsageUplink } from '../agent/src/uplink/mqtt.js';
import { Outbox } from '../agent/src/uplink/outbox.js';
import { Broker, freePort, until } from '../test/helpers/mosquitto.js';
import { routerTopics } from '../protocol/src/index.js';
import { TEST_GATEWAY_KEY } from '../test/helpers/gateway-key.js';

const batches = Number(process.argv[2] ?? 2_000);
const perBatch = Number(process.argv[3] ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'qlink-drain-'));
const broker = new Broker(await freePort(), join(dir, 'mosquitto.conf'), '', { audit: false });
await broker.start();
try {
  const db = openStore(join(dir, 'data'));
  const identity = identityFromKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  const chain = { networkMagic: 860833102, contract: '0x' + '11'.repeat(20) };
  const insert = db.prepare(`INSERT INTO usage_records (session_id, channel_id, start_ms, end_ms, bytes_down, bytes_up, seconds, cost)
    VALUES (?, NULL, ?, ?, ?, ?, 60, 0)`);
  db.transaction(() => {
    for (let i = 0; i < batches * perBatch; i++) insert.run(1 + (i % 50), i * 1000, i * 1000 + 60_000, 123_456 + i, 7_890 + i);
  });
  new UsageBatcher(db, identity, chain).sealAll(Date.now(), perBatch);
  const outbox = new Outbox(db);
  const queued = outbox.size();

  const gw = await connectAsync(broker.url, { clientId: 'bench-gateway' });
  gw.on('message', (topic, payload) => {
    const seq = (JSON.parse(payload.toString()) as { seq: number }).seq;
    gw.publish(topic.replace(/usage$/, 'ack'), JSON.stringify({ v: 1, seqs: [seq] }), { qos: 1 });
  });
  await gw.subscribeAsync(routerTopics(identity.address).usage, { qos: 1 });

  const config = parseConfig({ chain, uplink: { gatewayKey: TEST_GATEWAY_KEY, url: broker.url, reconnectMs: 200 } });
  const link = new MqttLink(config.uplink!, identity.address, createLogger('silent'));
  const uplink = new UsageUplink(link, outbox, createLogger('silent'));
  uplink.start();
  const t0 = performance.now();
  link.start();
  await until('outbox drained', () => outbox.size() === 0, 600_000);
  const s = (performance.now() - t0) / 1000;
  console.log(
    JSON.stringify({
      batches: queued,
      recordsPerBatch: perBatch,
      seconds: Number(s.toFixed(2)),
      batchesPerS: Math.round(queued / s),
      recordsPerS: Math.round((queued * perBatch) / s),
      note: `window 64 batches in flight, QoS 1, mosquitto on loopback, gateway acks each batch on receipt`,
    }),
  );
  uplink.stop();
  await link.stop();
  await gw.endAsync();
  db.close();
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
