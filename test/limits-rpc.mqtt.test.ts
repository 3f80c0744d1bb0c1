import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAsync } from 'mqtt';
import t from 'tap';
import { parseConfig } from '../agent/src/config/schema.js';
import { asGuest } from '../agent/src/limits/guest.js';
import { LimitExceeded } from '../agent/src/limits/refusal.js';
import { createLogger } from '../agent/src/log.js';
import { MqttLink } from '../agent/src/uplink/link.js';
import { RpcClient, RpcFailure } from '../agent/src/uplink/rpc-client.js';
import { addressOfKey, routerTopics } from '../protocol/src/index.js';
import { newKeyPair, signP256 } from '../protocol/src/node/index.js';
import { Broker, freePort, until } from './helpers/mosquitto.js';
import { TEST_GATEWAY_KEY, testGatewaySigner } from './helpers/gateway-key.js';

// A fair share of the gateway RPC's 32 slots (issue 16 part 4), over a real
// mosquitto, against a gateway that holds its answers until the test lets
// them go: one guest holds at most 4 calls in flight, refused by name past
// that; eight guests together leave the router's own calls their 4; when the
// answers come, the slots are free again.
const dir = mkdtempSync(join(tmpdir(), 'qlink-limits-rpc-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const broker = new Broker(await freePort(), join(dir, 'mosquitto.conf'));
await broker.start();
t.teardown(() => broker.stop());

const keys = newKeyPair();
const router = addressOfKey(keys.publicKey);
const topics = routerTopics(router);
const config = parseConfig({ chain: { networkMagic: 1, contract: '0x' + '00'.repeat(20) }, uplink: { gatewayKey: TEST_GATEWAY_KEY, url: broker.url } });
const log = createLogger('silent');
const link = new MqttLink(config.uplink!, router, log);
const L = config.portal.limits;
const rpc = new RpcClient(link, { publicKey: keys.publicKey, sign: (m) => signP256(keys.privateKey, m) }, log, {
  timeoutMs: 20_000,
  maxInFlight: 32,
  perGuest: L.rpcSlotsPerGuest,
  reserved: L.rpcSlotsReserved,
});
link.start();
t.teardown(async () => {
  rpc.stop();
  await link.stop();
});
await until('link up', () => link.connected);

// The gateway: every request is held; release() answers all of them.
const held: string[] = [];
const gw = await connectAsync(broker.url, { clientId: 'holding-gateway' });
await gw.subscribeAsync(topics.rpc, { qos: 1 });
gw.on('message', (_t, p) => held.push((JSON.parse(p.toString()) as { id: string }).id));
t.teardown(() => gw.endAsync());
await sleep(200);
const release = () => {
  for (const id of held.splice(0))
    gw.publish(topics.rpcResult, JSON.stringify(testGatewaySigner.seal(router, { v: 1, id, ok: true, result: { fine: true } })), { qos: 1 });
};
const ask = (guest: string | undefined) => {
  const call = () => rpc.call('channel', { channelId: 7, router: keys.publicKey });
  return (guest === undefined ? call() : asGuest(guest, call)).then(
    () => 'answered',
    (e: Error) => (e instanceof LimitExceeded ? e.limit : e instanceof RpcFailure ? e.code : e.message),
  );
};

t.test('one guest: 4 of the 32 slots, the fifth call and on refused by name; others unaffected', async (t) => {
  t.same(L.rpcSlotsPerGuest, 4, 'the default share');
  const flood = Array.from({ length: 20 }, () => ask('mac-flooder'));
  const settled = await Promise.race([Promise.all(flood.slice(4)), sleep(2_000).then(() => null)]);
  t.same(settled, Array(16).fill('rpc-slots'), '16 refused at once, none waiting');
  t.equal(rpc.slots.held('mac-flooder'), 4);
  const other = ask('mac-payer');
  await until("the payer's call reached the gateway", () => held.length === 5);
  release();
  t.same(await Promise.all([...flood.slice(0, 4), other]), Array(5).fill('answered'), "the flooder's 4 and the other guest's call are answered");
  t.equal(rpc.slots.inFlight, 0, 'every slot back');
});

t.test("guests together leave 4 slots to the router's own calls", async (t) => {
  const guests = Array.from({ length: 8 }, (_, i) => Array.from({ length: 4 }, () => ask(`mac-${i}`))).flat();
  const eighth = await Promise.race([guests.slice(28)[0]!, sleep(1_000).then(() => 'waiting')]);
  t.equal(eighth, 'overloaded', "the eighth guest finds the guests' 28 slots taken (7 guests × 4): 503-like overloaded, not a guest limit");
  const own = Array.from({ length: 4 }, () => ask(undefined));
  await until('28 guest calls and the 4 own ones at the gateway', () => held.length === 32);
  t.equal(await ask(undefined), 'overloaded', 'all 32 in flight');
  release();
  t.same(
    (await Promise.all([...guests.slice(0, 28), ...own])).filter((r) => r !== 'answered'),
    [],
  );
  t.equal(rpc.slots.inFlight, 0);
});
