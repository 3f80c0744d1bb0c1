/**
 * The router's time from a plan change on chain to the guest page showing
 * it: a real neo-go chain, mosquitto, the gateway's channel service (plans
 * cached 5 s, as main.ts) and the router's portal with its plan book (5 s, as
 * start.ts). Each round the owner publishes a new version of plan 1; the
 * clock starts when the transaction is in a block (publishPlans returns after
 * its application log) and stops when GET / lists the version.
 *   node dist/bench/plan-change.js [rounds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../agent/src/config/schema.js';
import { Gatekeeper } from '../agent/src/gatekeeper.js';
import { createLogger } from '../agent/src/log.js';
import { PlanBook } from '../agent/src/plans/book.js';
import { sessionPricing } from '../agent/src/plans/pricing.js';
import { PlanStore } from '../agent/src/plans/store.js';
import { PaymentDesk } from '../agent/src/portal/desk.js';
import { startPortal } from '../agent/src/portal/server.js';
import { openMemoryStore } from '../agent/src/store/db.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import { GatewayRpc } from '../agent/src/uplink/gateway-rpc.js';
import { MqttLink } from '../agent/src/uplink/link.js';
import { RpcClient } from '../agent/src/uplink/rpc-client.js';
import { VoucherChecker } from '../agent/src/vouchers/check.js';
import { GatewayChannelSource } from '../agent/src/vouchers/gateway-source.js';
import { ChannelLedger } from '../agent/src/vouchers/ledger.js';
import { VoucherStore } from '../agent/src/vouchers/store.js';
import { account, QlinkClient } from '../chain/src/index.js';
import { GatewayLink } from '../gateway/src/broker/link.js';
import { PlanCatalog } from '../gateway/src/plans/catalog.js';
import { ChainRegistry } from '../gateway/src/registry/chain.js';
import { neonRpcChain } from '../gateway/src/rpc/chain.js';
import { startRpc } from '../gateway/src/rpc/service.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { addressOfKey } from '../protocol/src/index.js';
import { privateKeyFromHex, signP256 } from '../protocol/src/node/index.js';
import { startChain } from '../scripts/lib/chain.js';
import { TEST_GATEWAY_KEY, testGatewaySigner } from '../test/helpers/gateway-key.js';
import { Broker, freePort, until } from '../test/helpers/mosquitto.js';
import { testPlan } from '../test/helpers/plans.js';
import { ensurePortalBuilt } from '../test/helpers/portal.js';
import { MemoryGate } from '../test/fakes/memory-gate.js';
import { summary } from './lib.js';

const rounds = Number(process.argv[2] ?? '8');
ensurePortalBuilt();
const dir = mkdtempSync(join(tmpdir(), 'qlink-bench-plans-'));
const log = createLogger('silent');
const chain = await startChain();
const stops: Array<() => Promise<unknown> | unknown> = [() => chain.stop(), () => rmSync(dir, { recursive: true, force: true })];
try {
  const client = new QlinkClient(chain.state);
  const w = (n: string) => account(chain.state.wallets[n]!.wif);
  const [owner, router] = [w('owner'), w('router1')];
  await client.registerRouter(owner, router, [{ planId: 1, terms: testPlan({ name: 'v1' }) }]);
  const domain = { networkMagic: chain.state.networkMagic, contract: chain.state.contract };

  const broker = new Broker(await freePort(), join(dir, 'mosquitto.conf'));
  await broker.start();
  stops.unshift(() => broker.stop());
  const gwStore = await openSqliteStore(':memory:');
  const gwLink = new GatewayLink({ url: broker.url, clientId: 'gw-bench-plans', maxPayloadBytes: 1 << 20 }, log);
  const svc = startRpc(gwLink, testGatewaySigner, {
    store: gwStore.settlement,
    registry: new ChainRegistry(client, gwStore.routers, { ttlMs: 60_000, negativeTtlMs: 1_000 }),
    chain: neonRpcChain(client, 10_000),
    deployment: domain,
    log,
    plans: new PlanCatalog(client.reader, { ttlMs: 5_000 }),
  });
  gwLink.start();
  stops.unshift(async () => {
    await svc.stop();
    await gwLink.stop();
    await gwStore.close();
  });
  await until('gateway connected', () => gwLink.connected);

  const port = await freePort();
  const config = parseConfig({ chain: domain, uplink: { gatewayKey: TEST_GATEWAY_KEY, url: broker.url }, portal: { port } });
  const link = new MqttLink(config.uplink!, addressOfKey(router.publicKey), log);
  const priv = privateKeyFromHex(router.privateKey);
  const rpc = new RpcClient(link, { publicKey: router.publicKey, sign: (m) => signP256(priv, m) }, log, { timeoutMs: 10_000, maxInFlight: 8 });
  link.start();
  stops.unshift(async () => {
    rpc.stop();
    await link.stop();
  });
  await until('router link up', () => link.connected);
  await sleep(300);
  const db = openMemoryStore();
  const sessions = new SessionStore(db);
  const gatekeeper = new Gatekeeper(
    new MemoryGate(),
    sessions,
    { guestInterface: 'br-lan', portalPort: port, walled4: [], walled6: [], blocked4: [], blocked6: [] },
    log,
  );
  await gatekeeper.start();
  const source = new GatewayChannelSource(new GatewayRpc(rpc, router.publicKey));
  const store = new PlanStore(db);
  const vouchers = new VoucherStore(db);
  const desk = new PaymentDesk({
    config,
    gatekeeper,
    sessions,
    log,
    clock: Date.now,
    vouchers,
    channels: source,
    routerKey: router.publicKey,
    plans: new PlanBook(store, source, { log }),
    ledger: new ChannelLedger(
      db,
      sessionPricing(store, () => config.plans),
    ),
    checker: new VoucherChecker({ deployment: domain, routerKey: router.publicKey, expiryMarginMs: 60_000 }, source, vouchers),
  });
  const portal = await startPortal({ config, desk, routerKey: router.publicKey, clock: Date.now, log, macOf: async () => '02:00:00:00:00:01' });
  stops.unshift(() => portal.close());
  const listed = async (): Promise<number | undefined> => {
    const html = await (await fetch(`http://127.0.0.1:${portal.port}/`)).text();
    const data = JSON.parse(/id="qlink-data">(.*?)<\/script>/s.exec(html)![1]!) as { plans: Array<{ version?: number }> };
    return data.plans[0]?.version;
  };
  if ((await listed()) !== 1) throw new Error('the page does not list version 1');

  const fromBlock: number[] = [];
  const fromSend: number[] = [];
  for (let i = 2; i <= rounds + 1; i++) {
    // A guest's page load lands anywhere in the caches' windows: start each round at a random point in them.
    await sleep(Math.random() * 5_000);
    const sent = Date.now();
    const r = await client.publishPlans(owner, [{ planId: 1, terms: testPlan({ name: `v${i}`, pricePerMB: BigInt(1000 + i) }) }]);
    if (r.vmstate !== 'HALT') throw new Error(`publish faulted: ${r.exception}`);
    const inBlock = Date.now();
    while ((await listed()) !== i) {
      if (Date.now() - inBlock > 60_000) throw new Error(`version ${i} not listed after 60 s`);
      await sleep(50);
    }
    const seen = Date.now();
    fromBlock.push(seen - inBlock);
    fromSend.push(seen - sent);
    console.log(`version ${i}: in a block after ${inBlock - sent} ms, on the page ${seen - inBlock} ms later`);
  }
  console.log(
    `plan change to page, from its block (ms): ${summary(fromBlock, 0)}; from sending it: ${summary(fromSend, 0)} (${rounds} changes; gateway and router cache 5 s each, 1 s blocks)`,
  );
} finally {
  for (const stop of stops) await stop();
}
