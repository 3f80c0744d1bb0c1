import type { Test } from 'tap';
import type { GatewayStores, RouterInfo } from '../../gateway/src/store/store.js';
import { roundOrder, roundRoot } from '../../protocol/src/index.js';
import type { SimRouter } from '../gateway-sim.js';

/** Gives an empty, migrated database's stores. */
export type OpenStores = () => Promise<GatewayStores>;

export const OWNER = '0x' + '11'.repeat(20);
export const OTHER_OWNER = '0x' + '44'.repeat(20);

/** Each case's own empty stores, closed when the case ends. */
export const freshStores =
  (open: OpenStores) =>
  async (t: Test): Promise<GatewayStores> => {
    const s = await open();
    t.teardown(() => s.close());
    return s;
  };

export const routerInfo = (r: SimRouter, o: Partial<RouterInfo> = {}): RouterInfo => ({
  address: r.address,
  publicKey: r.publicKey,
  owner: OWNER,
  active: true,
  checkedAt: 1,
  ...o,
});

/** Text order is the database's collation, which differs between SQLite and PostgreSQL: compare by router as JS sorts. */
export const byRouter = (x: { router: string }, y: { router: string }) => (x.router < y.router ? -1 : x.router > y.router ? 1 : 0);

export const ANCHORER = '0x' + '77'.repeat(20);

/** Cuts a round of every batch waiting for one, as the settler does (round order, root over the batch hashes); returns it. */
export async function cutAll(s: GatewayStores, round: number, at = 1, anchorer = ANCHORER) {
  const batches = roundOrder(await s.settlement.roundQueue(10_000));
  const root = roundRoot(batches.map((b) => b.hash));
  await s.settlement.cutRound({ anchorer, round, root, batches, at });
  return { anchorer, round, root, batches };
}
