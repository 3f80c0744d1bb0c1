import { startChain, type RunningChain } from '../scripts/lib/chain.js';
import { account, calls, publishPlanArgs, QlinkClient, registerRouterArgs, type Account } from '../chain/src/index.js';
import { encodePlanTerms, voucherMessage } from '../protocol/src/index.js';
import { newKeyPair, privateKeyFromHex, privateKeyHex, signP256 } from '../protocol/src/node/index.js';
import type { GatewayStores } from '../gateway/src/store/store.js';
import { SimRouter } from './gateway-sim.js';
import { PLAN_1, TEST_PLANS } from './helpers/plans.js';

export const GAS = 100_000_000;

export interface Fixture {
  chain: RunningChain;
  client: QlinkClient;
  w(name: string): Account;
  router: SimRouter;
  /** More routers of the owner (or another wallet), registered in one transaction, with plan 1. */
  routers(n: number, owner?: Account): Promise<SimRouter[]>;
  open(deposit: number, at?: SimRouter): Promise<{ id: number; sign(amount: number): string }>;
  vouchers(store: GatewayStores, vs: Array<{ id: number; amount: number; sig: string }>, at?: SimRouter): Promise<void>;
}

/** A chain with router1 registered to owner, channels opened by guest1, and a way to put signed vouchers into a store. */
export async function settleFixture(): Promise<Fixture> {
  const chain = await startChain();
  const { state } = chain;
  const client = new QlinkClient(state);
  const w = (name: string) => account(state.wallets[name]!.wif);
  const [owner, routerAcct, guest] = [w('owner'), w('router1'), w('guest1')];
  const d = { networkMagic: state.networkMagic, contract: state.contract.toLowerCase() };
  await client.registerRouter(owner, routerAcct, TEST_PLANS);
  const router = new SimRouter(privateKeyFromHex(routerAcct.privateKey), d);
  return {
    chain,
    client,
    w,
    router,
    async routers(n, by = owner) {
      const keys = Array.from({ length: n }, () => newKeyPair());
      const until = BigInt(Date.now() + 3_600_000);
      const hash = '0x' + by.scriptHash;
      // Plan 1 is published once per owner: a second publication would be version 2, and channels name the version.
      const plan: Array<[string, ReturnType<typeof publishPlanArgs>]> = (await client.getPlan(hash, 1))
        ? []
        : [['publishPlan', publishPlanArgs(hash, 1, encodePlanTerms(TEST_PLANS[0]!.terms))]];
      const script = calls(state.contract, [
        ...keys.map((k): [string, ReturnType<typeof registerRouterArgs>] => [
          'registerRouter',
          registerRouterArgs(hash, k.publicKey, until, client.claim({ publicKey: k.publicKey, privateKey: privateKeyHex(k.privateKey) }, hash, until)),
        ]),
        ...plan,
      ]);
      const r = await client.run(script, [by]);
      if (r.vmstate !== 'HALT') throw new Error(`registering ${n} routers faulted: ${r.exception}`);
      return keys.map((k) => new SimRouter(k.privateKey, d));
    },
    async open(deposit, at = router) {
      const key = newKeyPair();
      const expiry = (await client.chainTime()) + 3_600_000n;
      const r = await client.openChannel(guest, { router: at.publicKey, voucherKey: key.publicKey, expiry, amount: BigInt(deposit), ...PLAN_1 });
      const id = Number(r.events.find((e) => e.name === 'ChannelOpened')?.params.id);
      if (!id) throw new Error(`open faulted: ${r.exception}`);
      return { id, sign: (amount) => signP256(key.privateKey, voucherMessage(d, BigInt(id), BigInt(amount))).toString('hex') };
    },
    // As the ingest path stores them: records in a router-signed batch, each with the guest's voucher.
    async vouchers(store, vs, at = router) {
      const records = vs.map((v) => ({ ...at.records(1, v.id)[0]!, voucher: { amount: v.amount, signature: v.sig } }));
      const out = await store.ingest.storeBatch(at.address, at.build(records), Date.now());
      if (out.kind !== 'stored') throw new Error(`batch not stored: ${out.kind}`);
    },
  };
}
