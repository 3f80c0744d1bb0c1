import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, connectAsync, type MqttClient } from 'mqtt';
import t, { type Test } from 'tap';
import { parseConfig } from '../agent/src/config/schema.js';
import { createLogger } from '../agent/src/log.js';
import { parseMeminfo, parseNetDev, sampleProc } from '../agent/src/telemetry/proc.js';
import { StatusReporter } from '../agent/src/telemetry/status.js';
import { clientOptions, MqttLink } from '../agent/src/uplink/link.js';
import { Broker, freePort, until } from './helpers/mosquitto.js';
import { statusSchema } from '../protocol/src/index.js';
import { TEST_GATEWAY_KEY } from './helpers/gateway-key.js';

const dir = mkdtempSync(join(tmpdir(), 'qlink-telemetry-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const ROUTER = 'NXV7ZhHiyM1aHXwpVsRZC6BwNFP2jghXAq';

t.test('/proc parsers', async (t) => {
  const dev = `Inter-|   Receive |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
br-lan: 123456789 100 0 0 0 0 0 0 987654321 200 0 0 0 0 0 0
`;
  t.same(
    [...parseNetDev(dev)],
    [
      ['lo', { rxBytes: 1000, txBytes: 1000 }],
      ['br-lan', { rxBytes: 123456789, txBytes: 987654321 }],
    ],
  );
  t.equal(parseMeminfo('MemTotal:  24683668 kB\nMemAvailable: 100 kB\n').get('MemAvailable'), 100);
  const s = await sampleProc();
  t.ok(s.uptimeSeconds > 0 && s.memory.totalKb > 0 && s.memory.agentRssKb > 0 && s.interfaces.has('lo'));
});

/** Collects the retained status of a router as a late subscriber would see it. */
async function watch(url: string, t: Test): Promise<{ seen: unknown[]; client: MqttClient }> {
  const client = await connectAsync(url, { clientId: `watch-${Math.random()}` });
  t.teardown(() => client.endAsync(true));
  const seen: unknown[] = [];
  client.on('message', (_topic, payload) => seen.push(JSON.parse(payload.toString())));
  await client.subscribeAsync(`qlink/v1/${ROUTER}/status`, { qos: 1 });
  return { seen, client };
}

t.test('status retained on connect and every interval; will marks the router offline', async (t) => {
  const broker = new Broker(await freePort(), join(dir, 'mosquitto.conf'));
  t.teardown(() => broker.stop());
  await broker.start();
  const config = parseConfig({
    chain: { networkMagic: 1, contract: '0x' + '1'.repeat(40) },
    uplink: { gatewayKey: TEST_GATEWAY_KEY, url: broker.url, reconnectMs: 200, statusIntervalMs: 1_000 },
  });
  const link = new MqttLink(config.uplink!, ROUTER, createLogger('silent'));
  const status = new StatusReporter(link, { counts: async () => ({ guests: 3, sessions: 2 }), outbox: () => 7 }, createLogger('silent'));
  t.teardown(async () => {
    status.stop();
    await link.stop();
  });
  link.start();
  status.start();
  const w = await watch(broker.url, t);
  await until('two status messages', () => w.seen.length >= 2, 10_000);
  const s = statusSchema.parse(w.seen.at(-1));
  t.same([s.online, s.guests, s.sessions, s.outbox, s.router], [true, 3, 2, 7, ROUTER]);
  t.ok(s.memory.agentRssKb > 0 && s.load.length === 3 && s.uptimeSeconds > 0);
  t.notOk('lo' in s.interfaces, 'loopback left out');

  const late = await watch(broker.url, t);
  await until('retained status for a late subscriber', () => late.seen.length >= 1, 5_000);
  t.equal((late.seen[0] as { online: boolean }).online, true, 'retained: a late subscriber sees the router online');

  await link.stop();
  status.stop();
  await until('clean stop says offline', () => (w.seen.at(-1) as { online: boolean }).online === false, 5_000);

  // An unclean loss (power cut, kill -9): the broker publishes the will, retained.
  const raw = connect(broker.url, { ...clientOptions(config.uplink!, ROUTER), reconnectPeriod: 0 });
  await new Promise((r) => raw.once('connect', r));
  raw.publish(`qlink/v1/${ROUTER}/status`, JSON.stringify(s), { qos: 1, retain: true });
  await until('online again', () => (w.seen.at(-1) as { online: boolean }).online === true, 5_000);
  raw.stream.destroy();
  await until('will published', () => (w.seen.at(-1) as { online: boolean }).online === false, 10_000);
  raw.end(true);
  const after = await watch(broker.url, t);
  await until('retained will', () => after.seen.length >= 1, 5_000);
  t.same(after.seen[0], { v: 1, router: ROUTER, online: false }, 'the will is retained');
});
