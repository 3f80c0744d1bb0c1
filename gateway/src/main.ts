#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { rpcBlockLookup } from './api/owner/tx-blocks.js';
import { startApi, startMetrics } from './api/server.js';
import { OwnerSessions } from './api/sessions.js';
import { QlinkClient } from '../../chain/src/client.js';
import { loadGatewayConfig, signingWif, type GatewayConfig } from './config.js';
import { GatewaySigner } from './identity/signer.js';
import { enrollHandler } from './api/enroll.js';
import { openFleetCa } from './ca/fleet-ca.js';
import { caCommand } from './ca/cli.js';
import { ownerLoginCommand } from './api/owner-login-cli.js';
import { GatewayLink } from './broker/link.js';
import { startIngest } from './ingest/service.js';
import { ChainRegistry } from './registry/chain.js';
import { neonRpcChain } from './rpc/chain.js';
import { startRpc } from './rpc/service.js';
import { PlanCatalog } from './plans/catalog.js';
import { startSettlement } from './settle/service.js';
import { startWallet } from './sponsor/service.js';
import { openStore } from './store/open.js';
import { VERIFY_USAGE, verifyCommand } from './verify-cli.js';
import { PLANS_USAGE, plansCommand } from './plans-cli.js';
import { FetchJsonRpc } from '../../chain/src/json-rpc.js';
import { account } from '../../chain/src/neon.js';
import { settlementWif } from './settle/config.js';

const USAGE = `usage: qlink-gateway --config <file.json>
       qlink-gateway ca init|issue …   (the fleet CA: qlink-gateway ca --help)
       qlink-gateway owner-login --url URL --wif-file F   (an owner's session token)
       ${VERIFY_USAGE.replace('usage: ', '')}
       ${PLANS_USAGE.replace('usage: ', '')}`;

export function gatewayLogger(level: string): Logger {
  return pino({
    level,
    base: { svc: 'qlink-gateway' },
    // Credentials from the config must never reach a log, whatever a caller passes in.
    redact: { paths: ['password', '*.password', 'token', '*.token', 'wif', '*.wif', 'privateKey', '*.privateKey'], censor: '[redacted]' },
  });
}

/** Store, registry, MQTT ingest and the operator API, started from one config; stop() undoes it in reverse. */
export async function startGateway(
  config: GatewayConfig,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stop(): Promise<void>; api: Server; gatewayKey: string }> {
  const signer = new GatewaySigner(signingWif(config, env));
  const stores = await openStore(config.store);
  const chain = new QlinkClient(config.chain, log);
  const registry = new ChainRegistry(chain, stores.routers, config.registry, log);
  const deployment = { networkMagic: config.chain.networkMagic, contract: config.chain.contract };
  // First: it refuses to start with an owner's key configured, before anything connects.
  const settlement = config.settlement?.enabled
    ? await startSettlement({ store: stores.settlement, routers: stores.routers, lock: stores.settlerLock() }, config.chain, config.settlement, log, env).catch(
        async (e: Error) => {
          await stores.close();
          throw e;
        },
      )
    : null;
  const broker = new GatewayLink(config.broker, log);
  // Vouchers in records are checked against the chain at the door; a short timeout, since a batch waits on it.
  const ingest = startIngest(
    stores.ingest,
    registry,
    neonRpcChain(chain, 5_000),
    broker,
    config.broker.maxPayloadBytes,
    deployment,
    signer,
    log,
    config.quotas.batchesPerMinute,
  );
  // Owners' plans from the chain: a version's terms kept for good, the current list for 5 s (what a plan change waits at most here).
  const plans = new PlanCatalog(chain.reader, { ttlMs: 5_000 });
  const wallet = config.rpc.enabled ? startWallet(config, chain, stores, log.child({ part: 'wallet' })) : null;
  const rpc = config.rpc.enabled
    ? startRpc(broker, signer, {
        quotas: config.quotas,
        store: stores.settlement,
        registry,
        chain: neonRpcChain(chain, config.rpc.chainTimeoutMs),
        deployment: { networkMagic: config.chain.networkMagic, contract: config.chain.contract },
        log: log.child({ part: 'rpc' }),
        closer: settlement?.closer,
        wallet: wallet?.deps,
        plans,
      })
    : null;
  const enroll = config.ca ? enrollHandler(openFleetCa(config.ca.dir), registry, deployment, log.child({ part: 'enroll' })) : undefined;
  const sessions = new OwnerSessions(config.api.sessionSecret, config.api.name);
  const anchorer = config.settlement?.enabled ? account(settlementWif(config.settlement, env)).address : undefined;
  const apiDeps = {
    stores,
    statuses: ingest.statuses,
    counters: ingest.counters,
    deployment,
    blockOf: rpcBlockLookup(chain.rpc),
    enroll,
    sessions,
    secureCookies: config.api.secureCookies,
    chainRpc: new FetchJsonRpc(config.chain.rpc),
    plans,
    ...(anchorer ? { anchorer } : {}),
    onRegistered: (router: string) => registry.forgetUnknown(router),
  };
  const api = await startApi(apiDeps, config.api, log);
  const metrics = config.api.metricsPort ? await startMetrics(apiDeps, config.api.metricsPort, config.api.metricsHost, log) : null;
  broker.start();
  const addr = api.address();
  log.info(
    {
      store: stores.dialect,
      broker: config.broker.url,
      api: typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : addr,
      writable: Boolean(config.api.token),
      gatewayKey: signer.publicKey,
    },
    'qlink-gateway started',
  );
  return {
    api,
    gatewayKey: signer.publicKey,
    async stop() {
      await new Promise((r) => api.close(r));
      if (metrics) await new Promise((r) => metrics.close(r));
      await rpc?.stop();
      await wallet?.stop();
      await settlement?.stop();
      await broker.stop();
      await ingest.drain();
      await stores.close();
    },
  };
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'ca') return caCommand(argv.slice(1));
  if (argv[0] === 'owner-login') return ownerLoginCommand(argv.slice(1));
  if (argv[0] === 'verify') process.exit(await verifyCommand(argv.slice(1)));
  if (argv[0] === 'plans') process.exit(await plansCommand(argv.slice(1)));
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
  // What routers pin as uplink.gatewayKey: printed for the operator, who copies it into the routers' config.
  console.error(`qlink-gateway: routers pin this gateway's key: uplink.gatewayKey = ${gw.gatewayKey}`);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ sig }, 'stopping');
    gw.stop().then(
      () => process.exit(0),
      (e: Error) => {
        log.error({ err: e.message }, 'stop failed');
        process.exit(1);
      },
    );
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
