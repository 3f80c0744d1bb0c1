import { startChain, type RunningChain } from '../scripts/lib/chain.js';
import {
  account, newKeyPair, privateKeyFromHex, QlinkClient, signMessage, voucherMessage, type Account,
} from '../gateway/src/chain/index.js';
import type { GatewayStore } from '../gateway/src/store/store.js';
import { SimRouter } from './gateway-sim.js';

export const GAS = 100_000_000;

/** A chain with router1 registered to owner, channels opened by guest1, and a way to put signed vouchers into a store. */
export async function settleFixture(): Promise<{
  chain: RunningChain; client: QlinkClient; w(name: string): Account; router: SimRouter;
  open(deposit: number): Promise<{ id: number; sign(amount: number): string }>;
  vouchers(store: GatewayStore, vs: Array<{ id: number; amount: number; sig: string }>): Promise<void>;
}> {
  const chain = await startChain();
  const { state } = chain;
  const client = new QlinkClient(state);
  const w = (name: string) => account(state.wallets[name]!.wif);
  const [owner, routerAcct, guest] = [w('owner'), w('router1'), w('guest1')];
  await client.registerRouter(owner, routerAcct, 1000n, 50n);
  const router = new SimRouter(privateKeyFromHex(routerAcct.privateKey), { networkMagic: state.magic, contract: state.contract.toLowerCase() });
  const domain = { magic: state.magic, contract: state.contract };
  return {
    chain, client, w, router,
    async open(deposit) {
      const key = newKeyPair();
      const expiry = (await client.chainTime()) + 3_600_000n;
      const r = await client.openChannel(guest, { router: routerAcct.publicKey, voucherKey: key.publicKey, expiry, amount: BigInt(deposit) });
      const id = Number(r.events.find((e) => e.name === 'ChannelOpened')?.params.id);
      return { id, sign: (amount) => signMessage(key.privateKey, voucherMessage(domain, BigInt(id), BigInt(amount))).toString('hex') };
    },
    // As the ingest path stores them: records in a router-signed batch, each with the guest's voucher.
    async vouchers(store, vs) {
      const records = vs.map((v) => ({ ...router.records(1, v.id)[0]!, voucher: { amount: v.amount, signature: v.sig } }));
      const out = await store.storeBatch(router.address, router.build(records), Date.now());
      if (out.kind !== 'stored') throw new Error(`batch not stored: ${out.kind}`);
    },
  };
}
