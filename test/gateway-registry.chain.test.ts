import { pino } from 'pino';
import t from 'tap';
import { TEST_PLANS } from './helpers/plans.js';
import { startChain } from '../scripts/lib/chain.js';
import { account, QlinkClient } from '../chain/src/index.js';
import { privateKeyFromHex } from '../protocol/src/node/index.js';
import { Ingestor } from '../gateway/src/ingest/ingestor.js';
import { ingestCounters } from '../gateway/src/ingest/metrics.js';
import { VoucherCheck } from '../gateway/src/ingest/vouchers.js';
import { neonRpcChain } from '../gateway/src/rpc/chain.js';
import { ChainRegistry } from '../gateway/src/registry/chain.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { SimRouter } from './gateway-sim.js';
import { registerFleet } from '../bench/fleet-chain.js';

// The chain-backed registry against a real neo-go private net: a router
// registered on chain is let in (and cached), a stranger is refused, and a
// known router is still let in while the chain is down.
const chain = await startChain();
t.teardown(() => chain.stop());
const { state } = chain;
const client = new QlinkClient(state);
const w = (name: string) => account(state.wallets[name]!.wif);
const [owner, routerAcct] = [w('owner'), w('router1')];
await client.registerRouter(owner, routerAcct, TEST_PLANS);

const store = await openSqliteStore(':memory:');
t.teardown(() => store.close());
let now = Date.now();
const registry = new ChainRegistry(client, store.routers, { ttlMs: 60_000, negativeTtlMs: 10_000, clock: () => now });
const d = { networkMagic: state.networkMagic, contract: state.contract.toLowerCase() };
const acks: number[] = [];
const ing = new Ingestor(
  store.ingest,
  registry,
  new VoucherCheck(neonRpcChain(client), d),
  { deployment: d, maxPayloadBytes: 1 << 20, ack: (_a, s) => acks.push(...s), clock: () => now },
  ingestCounters(),
  pino({ level: 'silent' }),
);

const router = new SimRouter(privateKeyFromHex(routerAcct.privateKey), d);
const topic = (r: SimRouter) => `qlink/v1/${r.address}/usage`;

t.test('a registered router is let in and cached with its owner', async (t) => {
  t.equal(router.address, routerAcct.address, 'the router id is its NEO address');
  t.equal(await ing.handle(topic(router), Buffer.from(JSON.stringify(router.next(3)))), 'stored');
  t.match(await store.routers.getRouter(router.address), { publicKey: routerAcct.publicKey, owner: '0x' + owner.scriptHash, active: true });
  t.same(acks, [1]);
});

t.test('a key the chain does not know is refused as unknown', async (t) => {
  const stranger = new SimRouter(undefined, d);
  t.equal(await ing.handle(topic(stranger), Buffer.from(JSON.stringify(stranger.next(1)))), 'refused');
  t.match(await store.reports.anomalies({ router: stranger.address }), [{ kind: 'unknown-router' }]);
});

// bench-fleet registers its routers this way; it went stale once when registerRouter's arguments changed.
t.test("the fleet bench's registration: 16 routers in two transactions of the owner's, each let in", async (t) => {
  const fleet = await registerFleet(client, owner, 16);
  t.equal(fleet.transactions, 2);
  for (const key of [fleet.routers[0]!, fleet.routers[15]!]) {
    const r = new SimRouter(privateKeyFromHex(key.privateKey), d);
    t.equal(await ing.handle(topic(r), Buffer.from(JSON.stringify(r.next(1)))), 'stored', `router ${r.address} is let in`);
  }
});

t.test('chain down: a known router still gets in on its cached registration', async (t) => {
  await chain.stop();
  now += 120_000; // past the TTL: the registry asks the chain, which is gone
  t.equal(await ing.handle(topic(router), Buffer.from(JSON.stringify(router.next(2)))), 'stored');
  const stranger = new SimRouter(undefined, d);
  t.equal(await ing.handle(topic(stranger), Buffer.from(JSON.stringify(stranger.next(1)))), 'retry', 'an unknown one waits for a resend');
});
