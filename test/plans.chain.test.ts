import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { spendBound } from '../captive-portal/src/bound.js';
import { parseConfig } from '../agent/src/config/schema.js';
import { Gatekeeper } from '../agent/src/gatekeeper.js';
import { createLogger } from '../agent/src/log.js';
import { costOf, planTerms } from '../agent/src/plans.js';
import { PlanBook } from '../agent/src/plans/book.js';
import { planDrift } from '../agent/src/plans/offer.js';
import { sessionPricing } from '../agent/src/plans/pricing.js';
import { PlanStore } from '../agent/src/plans/store.js';
import { paymentRequest } from '../agent/src/portal/api.js';
import { PaymentDesk } from '../agent/src/portal/desk.js';
import { startPortal } from '../agent/src/portal/server.js';
import { openStore } from '../agent/src/store/db.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import { UsageRecorder } from '../agent/src/usage/recorder.js';
import { GatewayRpc } from '../agent/src/uplink/gateway-rpc.js';
import { MqttLink } from '../agent/src/uplink/link.js';
import { RpcClient } from '../agent/src/uplink/rpc-client.js';
import { VoucherChecker } from '../agent/src/vouchers/check.js';
import { GatewayChannelSource } from '../agent/src/vouchers/gateway-source.js';
import { ChannelLedger } from '../agent/src/vouchers/ledger.js';
import { VoucherStore } from '../agent/src/vouchers/store.js';
import { account, calls, publishPlanArgs, QlinkClient } from '../chain/src/index.js';
import { startApi } from '../gateway/src/api/server.js';
import { GatewayLink } from '../gateway/src/broker/link.js';
import { ingestCounters } from '../gateway/src/ingest/metrics.js';
import { StatusBook } from '../gateway/src/ingest/status.js';
import { PlanCatalog } from '../gateway/src/plans/catalog.js';
import { ChainRegistry } from '../gateway/src/registry/chain.js';
import { neonRpcChain } from '../gateway/src/rpc/chain.js';
import { startRpc } from '../gateway/src/rpc/service.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { addressOfKey, encodePlanTerms, type PlanOffer, voucherMessage } from '../protocol/src/index.js';
import { newKeyPair, privateKeyFromHex, signP256 } from '../protocol/src/node/index.js';
import { startChain } from '../scripts/lib/chain.js';
import { ApiAudit } from './helpers/api-audit.js';
import { TEST_GATEWAY_KEY, testGatewaySigner } from './helpers/gateway-key.js';
import { Broker, freePort, until } from './helpers/mosquitto.js';
import { testPlan } from './helpers/plans.js';
import { ensurePortalBuilt } from './helpers/portal.js';
import { MemoryGate } from './fakes/memory-gate.js';

// Plans on chain (issue 19), on a real neo-go chain, a real mosquitto and the
// gateway's channel service: the owner publishes two plans and changes one; a
// guest who opened under the old version pays the old price, a new guest the
// new one (the router's ledger, its usage records and the vouchers it takes);
// a router whose UCI plan is dearer than the chain's cannot get a voucher
// above the chain's terms from the page's bound; a plan published without the
// owner's witness is refused. The kernel gate is the in-memory one: the
// counters it reports are the test's traffic.
ensurePortalBuilt();
const chain = await startChain();
t.teardown(() => chain.stop());
const { state } = chain;
const client = new QlinkClient(state);
const w = (n: string) => account(state.wallets[n]!.wif);
const [owner, router, guestA, guestB, spare] = [w('owner'), w('router1'), w('guest1'), w('guest2'), w('spare')];
const OWNER = '0x' + owner.scriptHash;
const domain = { networkMagic: state.networkMagic, contract: state.contract };

// Plan 1 per MB with rate caps (so the page's bound counts bytes), plan 2 per minute with a time cap.
const dataV1 = testPlan({ name: 'Data', pricePerMB: 1000n, pricePerMinute: 50n, downKbps: 8000, upKbps: 2000 });
const dataV2 = { ...dataV1, pricePerMB: 3000n };
const time = testPlan({ name: 'Time', pricePerMB: 0n, pricePerMinute: 600n, downKbps: 2000, upKbps: 1000, timeCapSeconds: 3600 });
const reg = await client.registerRouter(owner, router, [
  { planId: 1, terms: dataV1 },
  { planId: 2, terms: time },
]);
if (reg.vmstate !== 'HALT') throw new Error(`register faulted: ${reg.exception}`);

const dir = mkdtempSync(join(tmpdir(), 'qlink-plans-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger(process.env.QLINK_TEST_LOG ?? 'silent');

// The gateway: channel service and HTTP API, plans read from the chain with the TTL main.ts uses.
const broker = new Broker(await freePort(), join(dir, 'mosquitto.conf'));
await broker.start();
t.teardown(() => broker.stop());
const gwStore = await openSqliteStore(':memory:');
t.teardown(() => gwStore.close());
const catalog = new PlanCatalog(client.reader, { ttlMs: 5_000 });
const gwLink = new GatewayLink({ url: broker.url, clientId: 'gw-plans-test', maxPayloadBytes: 1 << 20 }, log);
const svc = startRpc(gwLink, testGatewaySigner, {
  store: gwStore.settlement,
  registry: new ChainRegistry(client, gwStore.routers, { ttlMs: 60_000, negativeTtlMs: 1_000 }),
  chain: neonRpcChain(client, 10_000),
  deployment: domain,
  log,
  plans: catalog,
});
gwLink.start();
t.teardown(async () => {
  await svc.stop();
  await gwLink.stop();
});
const audit = new ApiAudit();
const api = await startApi(
  { stores: gwStore, statuses: new StatusBook(), counters: ingestCounters(), deployment: domain, plans: catalog },
  { port: 0, host: '127.0.0.1', onReply: audit.onReply },
  log,
);
t.teardown(() => new Promise((r) => api.close(r)));
await until('gateway connected', () => gwLink.connected);

// The router: UCI plan 'data' priced ten times the chain's, its store in a file (a restart reopens it).
const UCI_PLANS = [
  { id: 'data', name: 'Data', pricePerMb: '0.0001', pricePerMinute: '0.0000005', down: 8_000_000, up: 2_000_000, chainPlan: 1 },
  { id: 'time', name: 'Time', pricePerMinute: '0.000006', down: 2_000_000, up: 1_000_000, minutes: 60, chainPlan: 2 },
];
const portalPort = await freePort();
const config = parseConfig({
  chain: domain,
  plans: UCI_PLANS,
  dataDir: join(dir, 'agent'),
  uplink: { gatewayKey: TEST_GATEWAY_KEY, url: broker.url, reconnectMs: 200 },
  portal: { port: portalPort, deposit: '1', creditWindow: '0.001' },
});
const routerPriv = privateKeyFromHex(router.privateKey);
const link = new MqttLink(config.uplink!, addressOfKey(router.publicKey), log);
const rpc = new RpcClient(link, { publicKey: router.publicKey, sign: (m) => signP256(routerPriv, m) }, log, { timeoutMs: 10_000, maxInFlight: 8 });
const gateway = new GatewayRpc(rpc, router.publicKey);
link.start();
t.teardown(async () => {
  rpc.stop();
  await link.stop();
});
await until('router link up', () => link.connected);
await sleep(300);

let now = Date.now();
const clock = () => now;
let db = openStore(config.dataDir);
const planStore = new PlanStore(db);
const pricingOf = sessionPricing(planStore, () => config.plans);
const sessions = new SessionStore(db, new UsageRecorder(db, { intervalMs: 1_000, pricingOf }));
const gate = new MemoryGate();
const gatekeeper = new Gatekeeper(gate, sessions, { guestInterface: 'br-lan', portalPort, walled4: [], walled6: [], blocked4: [], blocked6: [] }, log, clock);
await gatekeeper.start();
const source = new GatewayChannelSource(gateway);
const vouchers = new VoucherStore(db);
const ledger = new ChannelLedger(db, pricingOf);
const checker = new VoucherChecker({ deployment: domain, routerKey: router.publicKey, expiryMarginMs: 60_000 }, source, vouchers);
// The book as the portal makes it (start.ts): the production TTL.
const book = new PlanBook(planStore, source, { log });
const desk = new PaymentDesk({
  config,
  gatekeeper,
  sessions,
  log,
  clock,
  checker,
  vouchers,
  ledger,
  channels: source,
  routerKey: router.publicKey,
  plans: book,
});
const apiDeps = { config, desk, routerKey: router.publicKey, clock };
const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
const portal = await startPortal({ ...apiDeps, log, macOf: async () => MAC_A });
t.teardown(() => portal.close());
const CREDIT_WINDOW = 100_000n;

/** What the page lists: the JSON the portal embeds in the page it serves. */
async function pagePlans(): Promise<Array<{ id: string; chainId?: number; version?: number; pricePerMb: number }>> {
  const html = await (await fetch(`http://127.0.0.1:${portal.port}/`)).text();
  const m = /<script type="application\/json" id="qlink-data">(.*?)<\/script>/s.exec(html);
  if (!m) throw new Error('no page data');
  return (JSON.parse(m[1]!) as { plans: Array<{ id: string; chainId?: number; version?: number; pricePerMb: number }> }).plans;
}

/** A guest picks a plan on the page, their wallet opens the channel the pay request asks for, and the page's first voucher opens the session. */
async function joinAs(mac: string, label: string, wallet: typeof guestA) {
  const key = newKeyPair();
  const pending = await desk.start(mac, label, key.publicKey);
  const req = await paymentRequest(apiDeps, pending.label, pending.offer, key.publicKey);
  const [, , , expiry, planId, planVersion] = req.data as [number, string, string, number, number, number];
  const open = await client.openChannel(wallet, {
    router: router.publicKey,
    voucherKey: key.publicKey,
    expiry: BigInt(expiry),
    amount: 100_000_000n,
    planId,
    planVersion,
  });
  if (open.vmstate !== 'HALT') throw new Error(`open faulted: ${open.exception}`);
  const id = open.events.find((e) => e.name === 'ChannelOpened')!.params.id as bigint;
  const sign = (amount: bigint) => ({ channelId: id, amount, signature: signP256(key.privateKey, voucherMessage(domain, id, amount)).toString('hex') });
  const first = await desk.voucher(mac, sign(CREDIT_WINDOW));
  if (!first.ok) throw new Error(`first voucher refused: ${first.detail}`);
  return { id, sign, offer: req.plan, planVersion, session: sessions.openFor(mac)! };
}

const records = (sessionId: number) =>
  db
    .prepare<[number], { cost: number; voucher_amount: number | null }>('SELECT cost, voucher_amount FROM usage_records WHERE session_id = ? ORDER BY id')
    .all(sessionId);
// Traffic near the rate caps (8 + 2 Mbit/s): 70 MB in a minute.
const BYTES = 70_000_000;
let a: Awaited<ReturnType<typeof joinAs>>;
let b: Awaited<ReturnType<typeof joinAs>>;

t.test("the gateway serves the owner's two plans, by RPC and over HTTP, as the chain has them", async (t) => {
  const listed = await gateway.plans();
  t.equal(listed.owner, OWNER);
  t.same(
    listed.plans.map((p) => [p.planId, p.version]),
    [
      [1, 1],
      [2, 1],
    ],
  );
  t.same(listed.plans[0]!.terms, encodePlanTerms(dataV1), 'the bytes the owner published');
  t.same(await gateway.planVersion(OWNER, 2, 1), encodePlanTerms(time));
  t.equal(await gateway.planVersion(OWNER, 2, 9), null, 'a version never published');
  const r = await fetch(`http://127.0.0.1:${(api.address() as AddressInfo).port}/owners/${owner.address}/plans`);
  t.equal(r.status, 200);
  t.match(await r.json(), {
    owner: OWNER,
    plans: [
      { planId: 1, version: 1, name: 'Data', pricePerMB: '1000', downKbps: 8000, onOffer: true },
      { planId: 2, version: 1, timeCapSeconds: 3600 },
    ],
  });
  t.same(audit.violations, [], "the answer is the OpenAPI document's");
});

t.test("the page lists the chain's plans and versions, not the UCI prices; the UCI plan that differs is reported", async (t) => {
  const listed = await pagePlans();
  t.match(listed, [
    { id: 'data', chainId: 1, version: 1, pricePerMb: 1000 },
    { id: 'time', chainId: 2, version: 1 },
  ]);
  const drift = planDrift(config.plans, (await book.current()).plans);
  t.same(drift, [{ plan: 'data', chainPlan: 1, chainVersion: 1, differs: ['pricePerMB'] }], 'UCI data is 10000 a MB, the chain 1000');
});

t.test('guest A opens under version 1; the owner changes plan 1; guest B opens under version 2', async (t) => {
  a = await joinAs(MAC_A, 'data', guestA);
  t.equal(a.planVersion, 1, "A's channel names version 1");
  t.same(a.session.planRef, { owner: OWNER, planId: 1, version: 1 }, 'and the session keeps it');
  t.equal(a.session.downBps, 8_000_000, 'shaped by the terms');
  t.equal(a.offer.pricePerMB, '1000', "the page was offered the chain's price, not the UCI one");

  const change = await client.publishPlans(owner, [{ planId: 1, terms: dataV2 }]);
  t.equal(change.vmstate, 'HALT');
  t.equal(change.events[0]?.params.version, 2n);
  // The figure: from the block with the change (publishPlans returns once it is in one) to the page listing it.
  const changed = Date.now();
  let listed = await pagePlans();
  while (listed[0]?.version !== 2) {
    if (Date.now() - changed > 30_000) break;
    await sleep(50);
    listed = await pagePlans();
  }
  const ms = Date.now() - changed;
  t.match(listed[0], { id: 'data', version: 2, pricePerMb: 3000 }, 'the page shows version 2');
  t.ok(ms <= 11_000, `plan change on chain to the page: ${ms} ms (gateway and router TTL 5 s each)`);
  t.comment(`FIGURE plan change (block) -> page: ${ms} ms`);

  b = await joinAs(MAC_B, 'data', guestB);
  t.equal(b.planVersion, 2, "B's channel names version 2");
  t.same(b.session.planRef, { owner: OWNER, planId: 1, version: 2 });
  t.equal(b.offer.pricePerMB, '3000');
});

t.test('each guest pays the price of the version their channel names: ledger, vouchers, usage records', async (t) => {
  t.ok(gate.traffic(MAC_A, 60_000_000, 10_000_000) && gate.traffic(MAC_B, 60_000_000, 10_000_000), 'both online and counted');
  now += 60_000;
  await gatekeeper.poll();
  const costA = costOf(dataV1, BYTES, 60);
  const costB = costOf(dataV2, BYTES, 60);
  t.equal(costA, 70_050);
  t.equal(costB, 210_050);
  t.equal(ledger.cost(a.id, now), BigInt(costA), 'A: version 1, 1000 a MB');
  t.equal(ledger.cost(b.id, now), BigInt(costB), 'B: version 2, 3000 a MB');
  t.equal(desk.state(MAC_B).cost, String(costB), 'what the page is told B spent');

  const low = await desk.voucher(MAC_B, b.sign(150_000n));
  t.match(low, { ok: false, reason: 'below-cost', minimum: BigInt(costB) }, "a voucher that covers A's price does not cover B's");
  t.ok((await desk.voucher(MAC_A, a.sign(150_000n))).ok, 'the same amount covers A');
  t.ok((await desk.voucher(MAC_B, b.sign(BigInt(costB) + CREDIT_WINDOW))).ok, "B's at B's price");

  await gatekeeper.deauth(MAC_A, 'logout');
  await gatekeeper.deauth(MAC_B, 'logout');
  const sum = (id: number) => records(id).reduce((n, r) => n + r.cost, 0);
  t.equal(sum(a.session.id), costA, "A's usage records add up to version 1's price");
  t.equal(sum(b.session.id), costB, "B's to version 2's");
  t.equal(records(a.session.id)[0]?.voucher_amount, Number(CREDIT_WINDOW), 'each record carries the voucher held when it was cut');
  t.equal(records(b.session.id)[0]?.voucher_amount, Number(CREDIT_WINDOW));
});

t.test("a router priced dearer in UCI than on chain cannot get a voucher above the chain's terms", async (t) => {
  // The page bounds what it signs by the terms the router offered (the chain's): captive-portal/src/bound.ts.
  const bound = spendBound(b.offer as PlanOffer, 0n, 60, CREDIT_WINDOW);
  t.ok(bound !== null);
  const honest = BigInt(costOf(dataV2, BYTES, 60));
  t.ok(honest + CREDIT_WINDOW <= bound!, `the chain's price fits the bound: ${honest} + window <= ${bound}`);
  // A router metering by its UCI plan would claim ten times that: the page signs no more than the bound.
  const uci = BigInt(costOf(planTerms(config.plans[0]!), BYTES, 60));
  t.equal(uci, 700_050n);
  const want = uci + CREDIT_WINDOW > bound! ? bound! : uci + CREDIT_WINDOW;
  t.equal(want, bound, 'the page signs the bound, not what UCI prices');
  t.ok(want < uci, `${want} < ${uci}: the most it gets is below what its UCI price asks`);
  // And this router does not charge by UCI: the voucher the page signs for B's usage is what the chain's price makes it.
  t.equal(ledger.cost(b.id, now), honest);
  t.same(planDrift(config.plans, (await book.current()).plans), [{ plan: 'data', chainPlan: 1, chainVersion: 2, differs: ['pricePerMB'] }]);
});

t.test('a restart without uplink still prices each session by its version', async (t) => {
  rpc.stop();
  await link.stop();
  db.close();
  db = openStore(config.dataDir);
  const store2 = new PlanStore(db);
  const ledger2 = new ChannelLedger(
    db,
    sessionPricing(store2, () => config.plans),
  );
  t.equal(ledger2.cost(a.id, now), BigInt(costOf(dataV1, BYTES, 60)), 'A at version 1, read from the store');
  t.equal(ledger2.cost(b.id, now), BigInt(costOf(dataV2, BYTES, 60)), 'B at version 2');
  const offline = await new PlanBook(store2, source, { timeoutMs: 1_000 }).current();
  t.equal(offline.stale, true, 'the gateway is gone: the list last read');
  t.same(
    offline.plans.map((p) => [p.planId, p.version]),
    [
      [1, 2],
      [2, 1],
    ],
  );
});

t.test("a plan published without the owner's witness is refused by the contract", async (t) => {
  const cheap = encodePlanTerms({ ...dataV2, pricePerMB: 1n, name: 'Forged' });
  for (const signer of [spare, router]) {
    await t.rejects(
      client.run(calls(state.contract, [['publishPlan', publishPlanArgs(OWNER, 1, cheap)]]), [signer]),
      /owner witness missing/,
      `signed by ${signer === spare ? 'another account' : "the owner's own router"}: refused`,
    );
  }
  const p = await client.getPlan(OWNER, 1);
  t.equal(p?.version, 2, 'plan 1 is still at version 2');
  t.same(p?.terms, encodePlanTerms(dataV2));
});
