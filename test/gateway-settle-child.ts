import { pino } from 'pino';
import { ChainConfig } from '../gateway/src/chain/config.js';
import { settlementConfigSchema } from '../gateway/src/settle/config.js';
import { startSettlement } from '../gateway/src/settle/service.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';

// A settling gateway in a process of its own, for the kill -9 test: the
// store is a SQLite file the test also reads; logs go to stdout as JSON.
const db = process.argv[2];
if (!db || !process.env.QLINK_TEST_CHAIN) throw new Error('usage: QLINK_TEST_CHAIN=<json> gateway-settle-child <sqlite>');
const chain = ChainConfig.parse(JSON.parse(process.env.QLINK_TEST_CHAIN));
const store = await openSqliteStore(db);
const cfg = settlementConfigSchema.parse({ wifEnv: 'QLINK_TEST_SETTLE_WIF', intervalMs: 1000, checkMs: 500 });
const settler = startSettlement(store, chain, cfg, pino({ level: 'info' }));
process.once('SIGTERM', () => {
  void settler.stop().then(() => store.close()).then(() => process.exit(0));
});
