import type { Logger } from 'pino';
import { QlinkClient } from '../chain/client.js';
import type { ChainConfig } from '../chain/config.js';
import { account } from '../chain/neon.js';
import type { GatewayStore } from '../store/store.js';
import { neonSettleChain } from './chain.js';
import { settlementWif, type SettlementConfig } from './config.js';
import { Settler } from './settler.js';

/** Env var of the kill -9 test (test/gateway-settle.chain.test.ts): pause for good right after the first relay. */
export const PAUSE_AFTER_RELAY_ENV = 'QLINK_TEST_SETTLE_PAUSE_AFTER_RELAY';

/** The settler over the real chain, paying fees from the configured wallet; started at once. */
export function startSettlement(store: GatewayStore, chain: ChainConfig, c: SettlementConfig, log: Logger, env = process.env): Settler {
  const payer = account(settlementWif(c, env));
  const client = new QlinkClient(chain, log);
  const settler = new Settler(store, neonSettleChain(client, payer), { magic: chain.magic, contract: chain.contract }, c,
    log.child({ part: 'settle' }), { pauseAfterRelay: env[PAUSE_AFTER_RELAY_ENV] === '1' });
  // The address only: the key never reaches a log.
  log.info({ payer: payer.address, intervalMs: c.intervalMs, maxChannelsPerTx: c.maxChannelsPerTx }, 'settlement started');
  settler.start();
  return settler;
}
