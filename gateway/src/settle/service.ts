import type { Logger } from 'pino';
import { QlinkClient } from '../chain/client.js';
import type { ChainConfig } from '../chain/config.js';
import { account } from '../chain/neon.js';
import { neonRpcChain } from '../rpc/chain.js';
import type { GatewayStore } from '../store/store.js';
import { neonSettleChain } from './chain.js';
import { ChannelCloser } from './closer.js';
import { ownerWifs, settlementWif, type SettlementConfig } from './config.js';
import { Settler } from './settler.js';

/** Env var of the kill -9 test (test/gateway-settle.chain.test.ts): pause for good right after the first relay. */
export const PAUSE_AFTER_RELAY_ENV = 'QLINK_TEST_SETTLE_PAUSE_AFTER_RELAY';

export interface Settlement {
  settler: Settler;
  /** Cooperative closes for the owners whose keys are configured (none: every refund waits for expiry). */
  closer: ChannelCloser;
  stop(): Promise<void>;
}

/** The settler over the real chain, paying fees from the configured wallet; started at once. */
export function startSettlement(store: GatewayStore, chain: ChainConfig, c: SettlementConfig, log: Logger, env = process.env): Settlement {
  const payer = account(settlementWif(c, env));
  const owners = ownerWifs(c, env).map((w) => account(w));
  const client = new QlinkClient(chain, log);
  const settleChain = neonSettleChain(client, payer);
  const settler = new Settler(store, settleChain, { magic: chain.magic, contract: chain.contract }, c,
    log.child({ part: 'settle' }), { pauseAfterRelay: env[PAUSE_AFTER_RELAY_ENV] === '1' });
  const closer = new ChannelCloser(store, settleChain, neonRpcChain(client), (fn) => settler.exclusive(fn), owners,
    { contract: chain.contract, validForBlocks: c.validForBlocks }, log.child({ part: 'close' }));
  // Addresses only: the keys never reach a log.
  log.info({ payer: payer.address, owners: closer.owners, intervalMs: c.intervalMs, maxChannelsPerTx: c.maxChannelsPerTx }, 'settlement started');
  settler.start();
  return { settler, closer, stop: () => settler.stop() };
}
