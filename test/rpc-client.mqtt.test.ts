import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAsync, type MqttClient } from 'mqtt';
import t from 'tap';
import { parseConfig } from '../agent/src/config/schema.js';
import { createLogger } from '../agent/src/log.js';
import { MqttLink } from '../agent/src/uplink/link.js';
import { RpcClient, RpcFailure } from '../agent/src/uplink/rpc-client.js';
import { addressOfKey, routerTopics } from '../protocol/src/index.js';
import { newKeyPair, signP256 } from '../protocol/src/node/index.js';
import { Broker, freePort, until } from './helpers/mosquitto.js';
import { TEST_GATEWAY_KEY, testGatewaySigner } from './helpers/gateway-key.js';

// The agent's request/response client for the gateway's channel service,
// over a real mosquitto, against a scripted gateway: answers matched by id
// whatever their order, errors, two-answer methods, timeouts, a bound on
// calls in flight, junk on the answer topic, and the link going down and up.
const dir = mkdtempSync(join(tmpdir(), 'qlink-rpc-client-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const broker = new Broker(await freePort(), join(dir, 'mosquitto.conf'));
await broker.start();
t.teardown(() => broker.stop());

const routerKeys = newKeyPair();
const router = addressOfKey(routerKeys.publicKey);
const topics = { request: routerTopics(router).rpc, result: routerTopics(router).rpcResult };
const config = parseConfig({
  chain: { networkMagic: 1, contract: '0x' + '00'.repeat(20) },
  // Slower to reconnect than the scripted gateway, so after a broker restart the gateway is subscribed again first.
  uplink: { gatewayKey: TEST_GATEWAY_KEY, url: broker.url, reconnectMs: 1_000 },
});
const log = createLogger('silent');
const link = new MqttLink(config.uplink!, router, log);
const rpc = new RpcClient(link, { publicKey: routerKeys.publicKey, sign: (m) => signP256(routerKeys.privateKey, m) }, log, {
  timeoutMs: 3_000,
  maxInFlight: 8,
});
link.start();
t.teardown(async () => {
  rpc.stop();
  await link.stop();
});
await until('link up', () => link.connected);

/** A channel request as the agent makes it (the broker's schema audit checks every request). */
const channel = (channelId: number) => ({ channelId, router: routerKeys.publicKey });
interface Req {
  v: 1;
  id: string;
  method: string;
  params: Record<string, unknown>;
}
/** The scripted gateway: what it does with each request is the current test's business. */
let onRequest: (r: Req, answer: (body: object | string) => void) => void = () => {};
const requests: Req[] = [];
let gw: MqttClient;
async function startGateway(): Promise<void> {
  gw = await connectAsync(broker.url, { clientId: 'scripted-gateway', reconnectPeriod: 100 });
  await gw.subscribeAsync(topics.request, { qos: 1 });
  gw.on('message', (_topic, payload) => {
    const r = JSON.parse(payload.toString()) as Req;
    requests.push(r);
    onRequest(
      r,
      (body) =>
        void gw.publish(topics.result, typeof body === 'string' ? body : JSON.stringify(testGatewaySigner.seal(router, { v: 1, id: r.id, ...body })), {
          qos: 1,
        }),
    );
  });
}
await startGateway();
t.teardown(() => gw.endAsync());
// The link subscribed at connect; let the broker settle it before the first request.
await sleep(200);

t.test('answers are matched by id, whatever order they come in', async (t) => {
  const held: Array<() => void> = [];
  onRequest = (r, answer) => held.push(() => answer({ ok: true, result: { echo: r.params.channelId } }));
  const calls = Array.from({ length: 8 }, (_, n) => rpc.call('channel', channel(n + 1)));
  await until('all 8 requests at the gateway', () => held.length === 8);
  for (const a of held.reverse()) a();
  t.same(
    await Promise.all(calls),
    Array.from({ length: 8 }, (_, n) => ({ echo: n + 1 })),
  );
  const ids = requests.slice(-8).map((r) => r.id);
  t.equal(new Set(ids).size, 8, 'every request has its own id');
  t.ok(
    ids.every((id) => /^[0-9a-f]{12}-\d+$/.test(id)),
    `ids carry the process's prefix: ${ids[0]}`,
  );
  t.equal(rpc.inFlight, 0);
});

t.test("an error answer rejects with the gateway's code", async (t) => {
  onRequest = (_r, answer) => answer({ ok: false, error: { code: 'chain-unavailable', message: 'node down' } });
  const e = await rpc.call('channel', channel(1)).catch((x: unknown) => x);
  t.ok(e instanceof RpcFailure);
  t.match(e, { code: 'chain-unavailable', message: 'node down', transient: true });
});

t.test('a two-answer method: the first goes to onAnswer, the call resolves with the last', async (t) => {
  onRequest = (_r, answer) => {
    answer({ ok: true, result: { state: 'relayed', txid: '0x1' } });
    setTimeout(() => answer({ ok: true, result: { state: 'confirmed', txid: '0x1' } }), 100);
  };
  const seen: unknown[] = [];
  const r = await rpc.call('relay', { tx: 'AAAA' }, { last: (x) => (x as { state: string }).state !== 'relayed', onAnswer: (x) => seen.push(x) });
  t.same(seen, [{ state: 'relayed', txid: '0x1' }]);
  t.same(r, { state: 'confirmed', txid: '0x1' });
});

t.test('no answer: a timeout; the late answer is dropped quietly', async (t) => {
  let late: (() => void) | undefined;
  onRequest = (_r, answer) => {
    late = () => answer({ ok: true, result: 'late' });
  };
  const started = Date.now();
  const e = await rpc.call('channel', channel(1), { timeoutMs: 300 }).catch((x: unknown) => x);
  t.match(e, { code: 'timeout' });
  t.ok(Date.now() - started < 2_000, 'gave up on time');
  late!();
  await sleep(200);
  t.equal(rpc.inFlight, 0, 'nothing left waiting');
});

t.test('calls in flight are bounded: one more is refused at once', async (t) => {
  onRequest = () => {};
  const calls = Array.from({ length: 8 }, () => rpc.call('channel', channel(1), { timeoutMs: 500 }).catch((e: RpcFailure) => e.code));
  const e = await rpc.call('channel', channel(1)).catch((x: unknown) => x);
  t.match(e, { code: 'overloaded', transient: true });
  t.same(await Promise.all(calls), Array(8).fill('timeout'));
});

t.test('junk on the answer topic is refused; the right answer still lands', async (t) => {
  const junk = (body: string) => broker.audit.garbage(body);
  onRequest = (r, answer) => {
    answer(junk('not json'));
    answer(junk(JSON.stringify({ v: 1, id: r.id, ok: 'yes' })));
    answer(junk(JSON.stringify({ v: 2, id: r.id, ok: true, result: 'wrong version' })));
    answer(junk(JSON.stringify({ v: 1, id: r.id, ok: true, result: 'x'.repeat(300 * 1024) })));
    answer(junk(JSON.stringify({ v: 1, id: null, ok: false, error: { code: 'bad-request', message: 'not JSON' } })));
    answer(junk(JSON.stringify({ v: 1, id: 'someone-else', ok: true, result: 'not mine' })));
    answer({ ok: true, result: 'mine' });
  };
  t.equal(await rpc.call('channel', channel(1)), 'mine');
});

t.test('the link drops: calls sent fail at once; calls made while down wait and go out on reconnect', async (t) => {
  onRequest = () => {};
  const sent = rpc.call('channel', channel(101), { timeoutMs: 10_000 }).catch((e: RpcFailure) => e);
  await until('request at the gateway', () => requests.some((r) => r.params.channelId === 101));
  const downAt = Date.now();
  await broker.stop();
  const e = await sent;
  t.match(e, { code: 'disconnected' });
  t.ok(Date.now() - downAt < 2_000, `failed ${Date.now() - downAt} ms after the broker went (not at the timeout)`);
  await until('link down', () => !link.connected);

  onRequest = (r, answer) => answer({ ok: true, result: { back: r.params.channelId } });
  const waiting = rpc.call('channel', channel(102), { timeoutMs: 10_000, connectMs: 10_000 });
  const started = Date.now();
  const offline = await rpc.call('channel', channel(103), { connectMs: 300 }).catch((x: unknown) => x);
  t.match(offline, { code: 'offline' }, 'a call that cannot wait for the link says so');
  t.ok(Date.now() - started < 2_000, 'after its connect wait, not its whole timeout');
  await broker.start();
  await until('gateway back', () => gw.connected);
  t.same(await waiting, { back: 102 }, 'sent after the reconnect and answered');
  t.same(await rpc.call('channel', channel(104)), { back: 104 });
});
