import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { parseConfig } from '../agent/src/config/schema.js';
import { createLogger } from '../agent/src/log.js';
import { closeAtLogout } from '../agent/src/portal/closing.js';
import { openMemoryStore } from '../agent/src/store/db.js';
import { GatewayRpc } from '../agent/src/uplink/gateway-rpc.js';
import { MqttLink } from '../agent/src/uplink/link.js';
import { RpcClient } from '../agent/src/uplink/rpc-client.js';
import { MemoryChannelSource } from './fakes/memory-channels.js';
import { VoucherChecker, type CheckContext } from '../agent/src/vouchers/check.js';
import { FallbackChannelSource } from '../agent/src/vouchers/fallback-source.js';
import { GatewayChannelSource } from '../agent/src/vouchers/gateway-source.js';
import { ChannelLedger } from '../agent/src/vouchers/ledger.js';
import { VoucherPusher } from '../agent/src/vouchers/pusher.js';
import { VoucherStore } from '../agent/src/vouchers/store.js';
import { addressOfKey, type Channel, voucherMessage } from '../protocol/src/index.js';
import { newKeyPair, signP256 } from '../protocol/src/node/index.js';
import { MemoryRegistry } from './fakes/memory-registry.js';
import type { RpcChain } from '../gateway/src/rpc/chain.js';
import { startRpc } from '../gateway/src/rpc/service.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { Broker, freePort, until } from './helpers/mosquitto.js';
import { TEST_GATEWAY_KEY } from './helpers/gateway-key.js';
import { testGatewaySigner } from './helpers/gateway-key.js';
import { GatewayLink } from '../gateway/src/broker/link.js';

// The gateway-backed channel source, end to end but without a chain: the
// agent's RPC client and source against the real gateway channel service
// (real mosquitto, SQLite store) whose chain is a table in memory. Two routers
// of one owner show roaming: what one took, the other knows before it grants.
const dir = mkdtempSync(join(tmpdir(), 'qlink-gw-source-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const broker = new Broker(await freePort(), join(dir, 'mosquitto.conf'));
await broker.start();
t.teardown(() => broker.stop());

const DOMAIN = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };
const OWNER = '0x' + '11'.repeat(20);
const TIME = 1_800_000_000_000n;
const log = createLogger(process.env.QLINK_TEST_LOG ?? 'silent');
const [keyA, keyB, guest] = [newKeyPair(), newKeyPair(), newKeyPair()];
const channel = (id: number, over: Partial<Channel> = {}): Channel => ({
  id: BigInt(id),
  guest: '0x' + '22'.repeat(20),
  owner: OWNER,
  token: '0xd2a4cff31913016155e38e474a2c06d08be276cf',
  voucherKey: guest.publicKey,
  deposit: 1_000_000n,
  redeemed: 0n,
  expiry: TIME + 3_600_000n,
  closed: false,
  planId: 1,
  planVersion: 1,
  ...over,
});

// The gateway, its chain a map.
const onChain = new Map<number, Channel>([
  [7, channel(7)],
  [8, channel(8)],
]);
let chainReads = 0;
const chain: RpcChain = {
  channel: async (id) => {
    chainReads++;
    return onChain.get(id) ?? null;
  },
  relay: async () => {
    throw new Error('not in this test');
  },
  executed: async () => null,
  chainTime: async () => TIME,
  settlementWindow: async () => 60_000n,
  plan: async () => null,
};
const registry = new MemoryRegistry();
registry.add(keyA.publicKey, OWNER);
registry.add(keyB.publicKey, OWNER);
const store = await openSqliteStore(':memory:');
t.teardown(() => store.close());
const gwLink = new GatewayLink({ url: broker.url, clientId: 'gw-source-test', maxPayloadBytes: 1 << 20 }, log);
const svc = startRpc(gwLink, testGatewaySigner, { store: store.settlement, registry, chain, deployment: DOMAIN, log });
gwLink.start();
t.teardown(async () => {
  await svc.stop();
  await gwLink.stop();
});
await until('gateway connected', () => gwLink.connected);

/** One router's side: link, RPC client, gateway-backed source, checker, store, ledger, pusher. */
async function routerSide(key: ReturnType<typeof newKeyPair>) {
  const routerKey = key.publicKey;
  const config = parseConfig({
    chain: { networkMagic: DOMAIN.networkMagic, contract: DOMAIN.contract },
    uplink: { gatewayKey: TEST_GATEWAY_KEY, url: broker.url, reconnectMs: 200 },
  });
  const link = new MqttLink(config.uplink!, addressOfKey(routerKey), log);
  const rpc = new RpcClient(link, { publicKey: routerKey, sign: (m) => signP256(key.privateKey, m) }, log, { timeoutMs: 1_500, maxInFlight: 8 });
  const gateway = new GatewayRpc(rpc, routerKey);
  link.start();
  t.teardown(async () => {
    rpc.stop();
    await link.stop();
  });
  await until('router link up', () => link.connected);
  const db = openMemoryStore();
  const vouchers = new VoucherStore(db);
  const ledger = new ChannelLedger(db, () => undefined);
  const source = new GatewayChannelSource(gateway);
  const checker = new VoucherChecker({ deployment: DOMAIN, routerKey, owner: OWNER, expiryMarginMs: 60_000 }, source, vouchers);
  const pusher = new VoucherPusher(vouchers, gateway, log);
  return { gateway, vouchers, ledger, source, checker, pusher };
}
const A = await routerSide(keyA);
const B = await routerSide(keyB);
await sleep(300); // the gateway's shared subscription settles

const sign = (amount: bigint, id = 7n) => ({
  channelId: id,
  amount,
  signature: signP256(guest.privateKey, voucherMessage(DOMAIN, id, amount)).toString('hex'),
});
const ctx = (meteredCost = 0n): CheckContext => ({ sessionChannel: null, sessionId: null, meteredCost, now: Number(TIME) });

t.test("channel look-up through the gateway: the chain's record, block time, the settlement window; briefly cached", async (t) => {
  const c = await A.source.channel(7n);
  t.match(c, {
    id: 7n,
    owner: OWNER,
    voucherKey: guest.publicKey,
    deposit: 1_000_000n,
    redeemed: 0n,
    closed: false,
    planId: 1,
    planVersion: 1,
    confirmed: true,
    newest: null,
  });
  t.equal(await A.source.routerOwner(), OWNER, "the gateway says whom this router's channels pay");
  t.equal(await A.source.channel(99n), null, 'unknown channel');
  t.ok((await A.source.now()) >= TIME, 'block time from the answer');
  t.equal(await A.source.settlementWindow(), 60_000n);
  const reads = chainReads;
  await A.source.channel(7n);
  t.equal(chainReads, reads, 'a second look within a second is served from the cache');
});

t.test('roaming: a voucher one router took is known to the other before it grants; only the rise buys service there', async (t) => {
  t.ok((await A.checker.check(sign(100_000n), ctx())).ok, 'router A takes 100000');
  await A.pusher.nudge();
  t.same(A.vouchers.unpushed(10), [], 'passed on: nothing due');
  t.match(await store.settlement.newestVoucher(7), { amount: 100_000, router: addressOfKey(keyA.publicKey) }, 'the gateway holds it');

  for (const amount of [100_000n, 80_000n]) {
    const r = await B.checker.check(sign(amount), ctx());
    t.match(r, { ok: false, reason: 'not-above-newest', minimum: 100_001n }, `router B refuses ${amount}: not above what A took`);
  }
  t.equal(B.vouchers.newest(7n), undefined, 'and stores nothing');
  t.ok((await B.checker.check(sign(150_000n), ctx())).ok, 'router B takes 150000');
  t.equal(B.ledger.cost(7n, Number(TIME)), 100_000n, 'at B the channel starts at what A took: 50000 of credit, not 150000');
  await B.pusher.nudge();
  t.match(await store.settlement.newestVoucher(7), { amount: 150_000 });

  // Back at A (its cache has expired): A held 100000, B took 150000 since.
  await sleep(1_100);
  t.match(await A.checker.check(sign(120_000n), ctx()), { ok: false, reason: 'not-above-newest', minimum: 150_001n });
  t.ok((await A.checker.check(sign(200_000n), ctx())).ok);
  t.equal(A.ledger.cost(7n, Number(TIME)), 50_000n, 'A counts the 50000 taken at B as spent');
});

t.test('a router whose vouchers the gateway refuses: marked, not sent again forever', async (t) => {
  onChain.set(9, channel(9, { owner: '0x' + '33'.repeat(20) }));
  A.vouchers.raise({ ...sign(10n, 9n), sessionId: null, at: 1 });
  await A.pusher.nudge();
  t.same(A.vouchers.unpushed(10), []);
  t.equal(await store.settlement.newestVoucher(9), null, 'the gateway kept nothing: the channel pays another owner');
});

t.test('log out where the gateway cannot close: the guest is told what comes back and when', async (t) => {
  const r = await closeAtLogout({ gateway: A.gateway, channels: A.source, vouchers: A.vouchers, log, waitMs: 1_000 }, 7n);
  t.same(r, {
    state: 'at-expiry',
    reason: "the hotspot's gateway cannot close channels for this owner",
    refund: String(1_000_000 - 200_000),
    refundAfter: Number(TIME + 3_600_000n + 60_000n),
  });
  const none = await closeAtLogout({ channels: A.source, vouchers: A.vouchers, log, waitMs: 1_000 }, 7n);
  t.match(none, { state: 'at-expiry', reason: /no gateway/ });
});

t.test('the gateway gone: the chain stands in for channels only this router served, a roaming one waits', async (t) => {
  await svc.stop();
  const direct = new MemoryChannelSource(() => TIME, undefined, OWNER);
  for (const c of onChain.values()) direct.set({ ...c, confirmed: true });
  await sleep(1_100); // past the source's cache
  const src = new FallbackChannelSource(A.source, direct, (id) => id === 7n, log);
  t.match(await src.channel(7n), { id: 7n }, 'served here alone: read from the chain');
  t.equal((await src.channel(7n))?.newest, undefined, 'the chain cannot tell the newest voucher');
  const e = await src.channel(8n).catch((x: unknown) => x);
  t.match(e, { code: 'timeout' }, 'served elsewhere too: refused until the gateway answers');
});
