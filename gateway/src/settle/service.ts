import type { Logger } from 'pino';
import { QlinkClient } from '../../../chain/src/client.js';
import type { ChainConfig } from '../../../chain/src/config.js';
import { account } from '../../../chain/src/neon.js';
import { neonRpcChain } from '../rpc/chain.js';
import type { RouterCache, SettlementStore, SettlerLock } from '../store/store.js';
import { neonSettleChain } from './chain.js';
import { ChannelCloser, ownerKeyProblem } from './closer.js';
import { closerWifs, settlementWif, type SettlementConfig } from './config.js';
import { Settler } from './settler.js';

export interface Settlement {
  settler: Settler;
  /** Cooperative closes with the closer keys the owners authorised (none: every refund waits for expiry). */
  closer: ChannelCloser;
  stop(): Promise<void>;
}

export interface SettlementDeps {
  store: SettlementStore;
  /** The known routers: whose owners' authorisations are read, and whose owners' keys must not be configured here. */
  routers: RouterCache;
  lock: SettlerLock;
}

/**
 * The settler over the real chain, paying fees from the configured wallet,
 * started at once (it settles while it holds the lead). Refuses to start
 * when a configured key is the owner of a known router.
 */
export async function startSettlement(d: SettlementDeps, chain: ChainConfig, c: SettlementConfig, log: Logger, env = process.env): Promise<Settlement> {
  const payer = account(settlementWif(c, env));
  const closers = closerWifs(c, env).map((w) => account(w));
  const known = await d.routers.listRouters();
  const problem = ownerKeyProblem([{ role: 'the settlement wallet', account: payer }, ...closers.map((a) => ({ role: 'closer key', account: a }))], known);
  if (problem) throw new Error(`settlement: ${problem}`);
  const client = new QlinkClient(chain, log);
  const settleChain = neonSettleChain(client, payer);
  const settler = new Settler(d.store, settleChain, { networkMagic: chain.networkMagic, contract: chain.contract }, c, log.child({ part: 'settle' }), {
    lock: d.lock,
  });
  const closer = new ChannelCloser(
    d.store,
    settleChain,
    neonRpcChain(client),
    (fn) => settler.exclusive(fn),
    closers,
    { deployment: { networkMagic: chain.networkMagic, contract: chain.contract }, validForBlocks: c.validForBlocks, ttlMs: c.closerTtlMs },
    log.child({ part: 'close' }),
  );
  // Addresses only: the keys never reach a log.
  log.info(
    { payer: payer.address, closers: closer.addresses, intervalMs: c.intervalMs, roundIntervalMs: c.roundIntervalMs, maxChannelsPerTx: c.maxChannelsPerTx },
    'settlement started',
  );
  const refresh = async () => {
    const owners = [...new Set((await d.routers.listRouters()).map((r) => r.owner))];
    for (const [closerAddress, authorisedBy] of await closer.refresh(owners)) {
      log.info({ closer: closerAddress, owners: authorisedBy, of: owners.length }, 'closer authorised by these owners on chain');
    }
  };
  const failed = (e: Error) => log.warn({ err: e.message }, 'closer authorisations not read from the chain; asked again per close');
  if (closers.length) void refresh().catch(failed);
  const timer = closers.length ? setInterval(() => void refresh().catch(failed), Math.max(60_000, c.closerTtlMs)) : undefined;
  timer?.unref();
  settler.start();
  return {
    settler,
    closer,
    stop: async () => {
      clearInterval(timer);
      await settler.stop();
    },
  };
}
