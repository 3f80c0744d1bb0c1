import type { GatewayConfig } from '../config.js';
import { openPgStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { GatewayStores } from './store.js';

/** The gateway's database as its config names it: one SQLite file, or a PostgreSQL database several gateways share. */
export function openStore(c: GatewayConfig['store']): Promise<GatewayStores> {
  return 'sqlite' in c ? openSqliteStore(c.sqlite) : openPgStore(c.postgres, c.poolSize);
}
