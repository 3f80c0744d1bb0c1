import { addressOfKey, type RpcRequest } from '../../../protocol/src/index.js';
import type { ChannelIndexer } from '../index/indexer.js';
import type { Offers } from '../sponsor/offers.js';
import type { RouterInfo } from '../store/types.js';
import type { ChannelIndexStore } from '../store/wallet-types.js';
import type { RpcDeps } from './handlers.js';
import { RpcError } from './errors.js';

/** What the wallet path adds to the channel service (issue 18); absent, its methods answer `refused`. */
export interface WalletRpcDeps {
  offers: Offers;
  index: ChannelIndexStore;
  indexer: ChannelIndexer | null;
}

type WalletMethod = 'offer' | 'sponsored' | 'watch' | 'channels' | 'rekey';

/** The router behind a request: its key must be the topic's, registered and active (the contract would refuse an opening at any other). */
async function me(router: string, key: string, d: RpcDeps): Promise<RouterInfo> {
  if (addressOfKey(key.toLowerCase()) !== router) throw new RpcError('bad-request', "router key is not the topic's router");
  let info: RouterInfo | null;
  try {
    info = await d.registry.lookup(key.toLowerCase());
  } catch (e) {
    throw new RpcError('chain-unavailable', (e as Error).message.slice(0, 300));
  }
  if (!info || !info.active) throw new RpcError('unknown-router', 'router not registered or retired: nothing is built or signed for it');
  return info;
}

const unavailable = (e: unknown): never => {
  if (e instanceof RpcError) throw e;
  throw new RpcError('chain-unavailable', (e as Error).message.slice(0, 300));
};

export async function dispatchWallet(
  router: string,
  req: Extract<RpcRequest, { method: WalletMethod }>,
  d: RpcDeps,
  reply: (result: unknown) => void,
): Promise<void> {
  const w = d.wallet;
  if (!w) throw new RpcError('refused', `this gateway does not serve ${req.method} (no wallet service configured)`);
  switch (req.method) {
    case 'offer':
      return reply(await w.offers.offer(await me(router, req.params.router, d), req.params).catch(unavailable));
    case 'sponsored':
      return w.offers.submit(await me(router, req.params.router, d), req.params, reply).catch(unavailable);
    case 'rekey':
      return w.offers.rekey(await me(router, req.params.router, d), req.params, reply).catch(unavailable);
    case 'watch': {
      await me(router, req.params.router, d);
      const ex = await d.chain.executed(req.params.txid, req.params.waitMs).catch(unavailable);
      if (!ex) return reply({ state: 'unconfirmed', txid: req.params.txid });
      const opened = ex.events.find((e) => e.name === 'ChannelOpened');
      return reply({
        state: ex.vmstate === 'HALT' ? 'confirmed' : 'faulted',
        txid: req.params.txid,
        vmstate: ex.vmstate,
        exception: ex.exception,
        channelId: opened?.params.id ?? null,
      });
    }
    case 'channels': {
      const info = await me(router, req.params.router, d);
      const owner = info.owner.toLowerCase();
      const [rows, indexedTo] = await Promise.all([w.index.byGuest(req.params.guest, { open: true }), w.indexer ? w.indexer.indexedTo() : Promise.resolve(-1)]);
      const mine = rows.filter((c) => c.owner === owner);
      const channels = await Promise.all(
        mine.map(async (c) => {
          const v = await d.store.newestVoucher(c.id);
          return {
            id: c.id,
            voucherKey: c.voucherKey,
            deposit: c.deposit,
            redeemed: c.redeemed,
            newest: v ? v.amount : null,
            expiry: c.expiry,
            planId: c.planId,
            planVersion: c.planVersion,
          };
        }),
      );
      return reply({ channels, indexedTo });
    }
  }
}
