import type { Logger } from 'pino';
import type { QlinkClient } from '../../../chain/src/client.js';
import { FetchJsonRpc } from '../../../chain/src/json-rpc.js';
import { account } from '../../../chain/src/neon.js';
import type { GatewayConfig } from '../config.js';
import { ChannelIndexer } from '../index/indexer.js';
import type { WalletRpcDeps } from '../rpc/wallet-handlers.js';
import type { GatewayStores } from '../store/store.js';
import { sponsorWif } from './config.js';
import { Offers } from './offers.js';

/** How often sent sponsored transactions nobody waited for are settled from the chain. */
const RECONCILE_MS = 15_000;

/** The wallet path's services: offers (and the sponsor, when configured), the channel index following the chain. */
export function startWallet(config: GatewayConfig, client: QlinkClient, stores: GatewayStores, log: Logger): { deps: WalletRpcDeps; stop(): Promise<void> } {
  const s = config.sponsor;
  const sponsor = s?.enabled ? { config: s, account: account(sponsorWif(s)) } : null;
  if (sponsor)
    log.info({ sponsor: sponsor.account.address, perGuestPerDay: s!.perGuestPerDay, ownerDailyBudget: s!.ownerDailyBudget }, "sponsoring guests' fees");
  const offers = new Offers({ client, books: stores.sponsor, sponsor, log });
  const indexer = config.index.enabled
    ? new ChannelIndexer({
        rpc: new FetchJsonRpc(config.chain.rpc, config.rpc.chainTimeoutMs),
        contract: config.chain.contract,
        store: stores.channels,
        log,
        fromBlock: config.index.fromBlock,
        pollMs: config.index.pollMs,
      })
    : null;
  indexer?.start();
  const timer = sponsor
    ? setInterval(() => void offers.reconcile().catch((e: Error) => log.warn({ err: e.message }, 'sponsored transactions not reconciled')), RECONCILE_MS)
    : undefined;
  return {
    deps: { offers, index: stores.channels, indexer },
    async stop() {
      clearInterval(timer);
      await indexer?.stop();
    },
  };
}
