import type { Test } from 'tap';
import { SimRouter } from '../gateway-sim.js';
import { byRouter, freshStores, OTHER_OWNER, routerInfo, type OpenStores } from './gateway-store-fixtures.js';

/** RouterCache: the chain registry's entries, each as last put, kept across restarts. */
export function routerCacheSuite(t: Test, open: OpenStores): void {
  const fresh = freshStores(open);

  t.test('an entry comes back as it was put; an unknown router is null', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    t.equal(await s.routers.getRouter(r.address), null);
    const info = routerInfo(r, { checkedAt: 1_700_000_000_123 });
    await s.routers.putRouter(info);
    t.same(await s.routers.getRouter(r.address), info, 'every field, the largest check time included');
    t.same(await s.routers.listRouters(), [info]);
  });

  t.test('a second put replaces every field of the entry', async (t) => {
    const s = await fresh(t);
    const r = new SimRouter();
    await s.routers.putRouter(routerInfo(r));
    const retired = { address: r.address, publicKey: '02' + 'ab'.repeat(32), owner: OTHER_OWNER, active: false, checkedAt: 5 };
    await s.routers.putRouter(retired);
    t.same(await s.routers.getRouter(r.address), retired);
    t.equal((await s.routers.listRouters()).length, 1, 'still one entry');
  });

  t.test('the list holds every router', async (t) => {
    const s = await fresh(t);
    const rs = [new SimRouter(), new SimRouter(), new SimRouter()];
    for (const r of rs) await s.routers.putRouter(routerInfo(r));
    const list = await s.routers.listRouters();
    t.same(list.map((x) => ({ router: x.address })).sort(byRouter), rs.map((r) => ({ router: r.address })).sort(byRouter));
    t.same(
      list.find((x) => x.address === rs[1]!.address),
      routerInfo(rs[1]!),
    );
  });
}
