#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { rpcBlockLookup } from './api/owner/tx-blocks.js';
import { startApi } from './api/server.js';
import { QlinkClient } from './chain/client.js';
import { loadGatewayConfig, type GatewayConfig } from './config.js';
import { startIngest } from './ingest/service.js';
import { ChainRegistry } from './registry/chain.js';
import { neonRpcChain } from './rpc/chain.js';
import { startRpc } from './rpc/service.js';
import { startSettlement } from './settle/service.js';
import { openPgStore } from './store/postgres.js';
import { openSqliteStore } from './store/sqlite.js';
import type { GatewayStore } from './store/store.js';

const USAGE = 'usage: qlink-gateway --config <file.json>';

export function gatewayLogger(level: string): Logger {
  return pino({
    level,
    base: { svc: 'qlink-gateway' },
    // Credentials from the config must never reach a log, whatever a caller passes in.
    redact: { paths: ['password', '*.password', 'token', '*.token', 'wif', '*.wif', 'privateKey', '*.privateKey'], censor: '[redacted]' },
  });
}

export function openStore(c: GatewayConfig['store']): Promise<GatewayStore> {
  return 'sqlite' in c ? openSqliteStore(c.sqlite) : openPgStore(c.postgres, c.poolSize);
}

/** Store, registry, MQTT ingest and the operator API, started from one config; stop() undoes it in reverse. */
export async function startGateway(config: GatewayConfig, log: Logger): Promise<{ stop(): Promise<void>; api: Server }> {
  const store = await openStore(config.store);
  const chain = new QlinkClient(config.chain, log);
  const registry = new ChainRegistry(chain, store, config.registry, log);
  const deployment = { networkMagic: config.chain.magic, contract: config.chain.contract };
  const ingest = startIngest(store, registry, config.broker, deployment, log);
  const settlement = config.settlement?.enabled ? startSettlement(store, config.chain, config.settlement, log) : null;
  const rpc = config.rpc.enabled ? startRpc(config.broker, { store, registry, chain: neonRpcChain(chain, config.rpc.chainTimeoutMs),
    domain: { magic: config.chain.magic, contract: config.chain.contract }, log: log.child({ part: 'rpc' }), closer: settlement?.closer }) : null;
  const api = await startApi({ store, statuses: ingest.statuses, counters: ingest.counters, deployment, blockOf: rpcBlockLookup(chain.rpc) },
    config.api, log);
  const addr = api.address();
  log.info({ store: store.dialect, broker: config.broker.url, api: typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : addr,
    writable: Boolean(config.api.token) }, 'qlink-gateway started');
  return {
    api,
    async stop() {
      await new Promise((r) => api.close(r));
      await rpc?.stop();
      await settlement?.stop();
      await ingest.stop();
      await store.close();
    },
  };
}

async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf('--config');
  const path = i >= 0 ? argv[i + 1] : undefined;
  if (!path || argv.includes('--help')) {
    console.error(USAGE);
    process.exit(path ? 0 : 2);
  }
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig(path);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  const log = gatewayLogger(config.log.level);
  const gw = await startGateway(config, log);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ sig }, 'stopping');
    gw.stop().then(() => process.exit(0), (e: Error) => { log.error({ err: e.message }, 'stop failed'); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

// Run as a program, not when a test or benchmark imports startGateway.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(`qlink-gateway: ${e.message}`);
    process.exit(1);
  });
}
