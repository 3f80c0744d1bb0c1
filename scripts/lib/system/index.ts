/**
 * The whole system on one machine, for the demo and the fault suite: a
 * testbed (router, guests, "the internet"), and on the internet side a real
 * neo-go chain with the contract, a mosquitto broker and the gateway, the
 * router registered on chain to its owner, and the agent started with its
 * portal, its uplink and paying on. Guests reach the chain only through the
 * router's walled garden, as in a café.
 */
import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseChainState, type ChainState } from '../../../chain/src/config.js';
import { privateKeyFromHex } from '../../../protocol/src/node/index.js';
import { account } from '../../../chain/src/neon.js';
import * as tb from '../testbed/index.js';
import { merge } from '../testbed/agent.js';
import { REPO_ROOT } from '../testbed/paths.js';
import { run } from '../testbed/proc.js';
import { listening, NamespacedService } from './services.js';
import { initFleetCa, issueKeyPair } from '../../../gateway/src/ca/fleet-ca.js';
import { mosquittoAcl, mosquittoTlsConf } from '../../../gateway/src/broker/mosquitto.js';

/** A second address of the upstream namespace for the chain's RPC, so the walled garden can name the chain alone. */
export const RPC_IP = '203.0.113.20';
const RPC_PORT = 40332;
const BROKER_PORT = 8883;
/** The gateway's user at the broker: its client certificate's CN, which the ACL names. */
const GATEWAY_USER = 'qlink-gateway-1';
const API_PORT = 8480;
/**
 * The host's own link into the upstream namespace (demo only): the owner page
 * is opened from the host's browser. Its name and /30 (in 198.18.64.0/18, a
 * benchmarking range) come from the namespace's name, so two systems up at
 * once (a demo and the test suite's, each with its prefix) never share them.
 */
export function hostLink(upstreamNs: string): { name: string; host: string; upstream: string } {
  const h = createHash('sha256').update(upstreamNs).digest();
  const n = h.readUInt16BE(0) % 4096;
  const base = `198.18.${64 + (n >> 6)}.`;
  const last = (n & 63) * 4;
  return { name: `qlh${h.toString('hex', 2, 6)}`, host: base + (last + 1), upstream: base + (last + 2) };
}

export interface SystemOptions {
  id: string;
  clients: number;
  /** Merged into the agent's config (plans, portal, usage, …). */
  agent?: Record<string, unknown>;
  /** Merged into the gateway's settlement section. */
  settlement?: Record<string, unknown>;
  /**
   * The owner authorises the gateway's closer key on chain (setCloser) and the
   * gateway holds that key, so a guest's log out closes its channel
   * cooperatively (the rest of the deposit back at once). The gateway never
   * holds the owner's key.
   */
  closeAtLogout?: boolean;
  /** Give the host a link to the upstream namespace, so the owner page opens in the host's browser. */
  hostLink?: boolean;
  /** Progress lines, for the demo. */
  say?: (line: string) => void;
}

export interface System {
  id: string;
  bed: tb.TestbedInfo;
  chain: ChainState;
  rpcUrl: string;
  brokerUrl: string;
  /** The gateway's API and owner page as reached inside the upstream namespace, and from the host when hostLink was asked for. */
  apiUrl: string;
  /** The operator's API token (api.token): the gateway shows its books to nobody else but logged-in owners. */
  apiToken: string;
  hostApiUrl: string | null;
  /** The chain's RPC from the host (hostLink only), through a relay in the upstream namespace. */
  hostRpcUrl: string | null;
  portalUrl: string;
  dir: string;
  gatewayDb: string;
  broker: NamespacedService;
  gateway: NamespacedService;
  /** The agent's config as started (tb.agentStart merges it again on a restart). */
  agentConfig: Record<string, unknown>;
  wif(name: string): string;
  chainArgs: string[];
  down(): Promise<void>;
}

export const DEFAULT_PLANS = [
  { id: 'mb', name: 'Pay per MB', pricePerMb: '0.0001', down: '8mbit', up: '2mbit' },
  { id: 'hour', name: 'One hour', pricePerMinute: '0.0005', minutes: 60, down: '4mbit', up: '1mbit' },
];

export async function upSystem(o: SystemOptions): Promise<System> {
  const say = o.say ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), `qlink-system-${o.id}-`));
  const chainEnv = {
    QLINK_CHAIN_DIR: join(dir, 'chain'),
    QLINK_CHAIN_RPC_ADDR: RPC_IP,
    QLINK_CHAIN_RPC_PORT: String(RPC_PORT),
    QLINK_CHAIN_P2P_PORT: String(RPC_PORT + 1),
    QLINK_CHAIN_RPC_URL: `http://${RPC_IP}:${RPC_PORT}`,
  };
  let bed: tb.TestbedInfo | undefined;
  const down = async () => {
    if (bed) await tb.exec(o.id, 'upstream', ['scripts/chain', 'down'], { env: chainEnv, timeoutMs: 60_000, cwd: REPO_ROOT }).catch(() => undefined);
    await tb.down(o.id).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await tb.down(o.id).catch(() => undefined);
    say(`network: a router, "the internet" and ${o.clients} guest${o.clients === 1 ? '' : 's'} (network namespaces)`);
    bed = await tb.up({ id: o.id, clients: o.clients });
    const up = bed.upstream;
    await ns(o.id, 'upstream', `ip addr add ${RPC_IP}/24 dev eth0`);
    const link = o.hostLink ? await linkHost(o.id, bed) : null;
    const hostApiUrl = link && `http://${link.upstream}:${API_PORT}`;

    say('chain: a single-node NEO N3 network (neo-go), the qlink contract deployed, test wallets funded');
    const r = await tb.exec(o.id, 'upstream', ['scripts/chain', 'up'], { env: chainEnv, timeoutMs: 900_000, cwd: REPO_ROOT });
    if (r.code !== 0) throw new Error(`scripts/chain up failed:\n${r.stderr.slice(-1500)}`);
    const chain = parseChainState(r.stdout);
    const rpcUrl = chainEnv.QLINK_CHAIN_RPC_URL;
    const wif = (name: string) => {
      const w = chain.wallets[name];
      if (!w) throw new Error(`no test wallet ${name}`);
      return w.wif;
    };
    const chainArgs = ['--rpc', rpcUrl, '--magic', String(chain.networkMagic), '--contract', chain.contract];
    let hostRpcUrl: string | null = null;
    if (link) {
      // The node listens on RPC_IP only; the host reaches it on its link's address through socat.
      await new NamespacedService(
        'rpc-relay',
        o.id,
        'upstream',
        ['socat', `TCP-LISTEN:${RPC_PORT},bind=${link.upstream},reuseaddr,fork`, `TCP:${RPC_IP}:${RPC_PORT}`],
        { log: join(dir, 'rpc-relay.log'), ready: () => listening(o.id, 'upstream', link.upstream, RPC_PORT) },
      ).start();
      hostRpcUrl = `http://${link.upstream}:${RPC_PORT}`;
    }

    say(
      `owner: registers the router's key on chain (its identity as a hotspot) and publishes its plans, in one transaction${o.closeAtLogout ? ", and lets the gateway's closer key close its channels (setCloser)" : ''}`,
    );
    const plans = (o.agent?.plans as unknown[] | undefined) ?? DEFAULT_PLANS;
    const closer = o.closeAtLogout ? ['--closer', chain.wallets.closer!.address] : [];
    const reg = await tb.exec(o.id, 'upstream', ['scripts/guest-wallet', 'register', ...chainArgs, '--plans', JSON.stringify(plans), ...closer], {
      env: { QLINK_OWNER_WIF: wif('owner'), QLINK_ROUTER_WIF: wif('router1'), NODE_OPTIONS: '' },
      timeoutMs: 90_000,
      cwd: REPO_ROOT,
    });
    if (reg.code !== 0) throw new Error(`registering the router failed: ${reg.stderr.slice(-800)}`);

    say(`broker: mosquitto at ${up.ip4}:${BROKER_PORT}, TLS only, each router known by a certificate for its own key (fleet CA), an ACL per identity`);
    const caDir = join(dir, 'ca');
    await initFleetCa(caDir);
    const tls = join(dir, 'tls');
    const server = await issueKeyPair(caDir, tls, 'broker', { cn: up.ip4, server: { ips: [up.ip4] } });
    const gwCert = await issueKeyPair(caDir, tls, 'gateway', { cn: GATEWAY_USER });
    const brokerConf = join(dir, 'mosquitto.conf');
    writeFileSync(join(dir, 'mosquitto.acl'), mosquittoAcl([GATEWAY_USER]));
    writeFileSync(
      brokerConf,
      mosquittoTlsConf({
        host: up.ip4,
        port: BROKER_PORT,
        caFile: join(caDir, 'ca.crt'),
        certFile: server.cert,
        keyFile: server.key,
        aclFile: join(dir, 'mosquitto.acl'),
        user: 'root' /* the files are in a private temporary directory */,
      }),
    );
    const broker = new NamespacedService('mosquitto', o.id, 'upstream', ['/usr/sbin/mosquitto', '-c', brokerConf], {
      log: join(dir, 'mosquitto.log'),
      ready: () => listening(o.id, 'upstream', up.ip4, BROKER_PORT),
    });
    await broker.start();
    const brokerUrl = `mqtts://${up.ip4}:${BROKER_PORT}`;

    say('gateway: ingest, channel service, settlement and the owner page');
    const gatewayDb = join(dir, 'gateway.sqlite');
    const apiToken = randomBytes(16).toString('hex');
    const gatewayConf = join(dir, 'gateway.json');
    writeFileSync(
      gatewayConf,
      JSON.stringify(
        {
          broker: { url: brokerUrl, clientId: GATEWAY_USER, caFile: join(caDir, 'ca.crt'), certFile: gwCert.cert, keyFile: gwCert.key },
          ca: { dir: caDir },
          store: { sqlite: gatewayDb },
          chain: { rpc: rpcUrl, networkMagic: chain.networkMagic, contract: chain.contract },
          api: { port: API_PORT, host: '0.0.0.0', token: apiToken },
          settlement: {
            wifEnv: 'QLINK_SETTLEMENT_WIF',
            intervalMs: 20_000,
            checkMs: 1_000,
            ...(o.closeAtLogout ? { closerKeys: [{ wifEnv: 'QLINK_CLOSER_WIF' }] } : {}),
            ...o.settlement,
          },
        },
        null,
        2,
      ),
    );
    const gateway = new NamespacedService('gateway', o.id, 'upstream', ['node', 'dist/gateway/src/main.js', '--config', gatewayConf], {
      log: join(dir, 'gateway.log'),
      cwd: REPO_ROOT,
      env: { QLINK_SETTLEMENT_WIF: wif('gateway'), ...(o.closeAtLogout ? { QLINK_CLOSER_WIF: wif('closer') } : {}) },
      ready: () => listening(o.id, 'upstream', up.ip4, API_PORT),
    });
    await gateway.start();

    say('router: the agent starts with its portal, its uplink to the gateway, and paying on');
    const dataDir = join(bed.stateDir, 'agent-data');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const routerCa = join(dataDir, 'fleet-ca.crt');
    copyFileSync(join(caDir, 'ca.crt'), routerCa);
    writeFileSync(join(dataDir, 'router.key'), privateKeyFromHex(account(wif('router1')).privateKey).export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const agentConfig = merge(
      {
        chain: { networkMagic: chain.networkMagic, contract: chain.contract },
        walledGarden: [RPC_IP],
        plans,
        portal: { port: 8088, name: 'Café Lumen', rpcUrl, deposit: '0.01', creditWindow: '0.001', channelHours: 1, expiryMarginSeconds: 60 },
        // The gateway signs acks and answers with its settlement wallet's key (no signingKey of its own): the router pins it.
        // The router pins the fleet CA and the gateway's key, and enrolls for its broker certificate at the gateway.
        uplink: {
          url: brokerUrl,
          gatewayKey: chain.wallets.gateway!.publicKey,
          caFile: routerCa,
          enrollUrl: `http://${up.ip4}:${API_PORT}/enroll`,
          reconnectMs: 1_000,
          resendMs: 10_000,
          statusIntervalMs: 5_000,
        },
        usage: { recordIntervalMs: 5_000, batchIntervalMs: 5_000, maxRecordsPerBatch: 200 },
        idleTimeoutSeconds: 60,
      },
      o.agent ?? {},
    );
    bed = await tb.agentStart(o.id, agentConfig);
    return {
      id: o.id,
      bed,
      chain,
      rpcUrl,
      brokerUrl,
      apiUrl: `http://${up.ip4}:${API_PORT}`,
      apiToken,
      hostApiUrl,
      hostRpcUrl,
      portalUrl: `http://${bed.router.lan4}:${(agentConfig.portal as { port: number }).port}`,
      dir,
      gatewayDb,
      broker,
      gateway,
      agentConfig,
      wif,
      chainArgs,
      down,
    };
  } catch (e) {
    await down();
    throw e;
  }
}

async function ns(id: string, host: string, cmd: string): Promise<void> {
  const r = await tb.exec(id, host, ['bash', '-c', cmd]);
  if (r.code !== 0) throw new Error(`${host}: ${cmd}: ${r.stderr}`);
}

/** A veth from the host into the upstream namespace; it goes when the namespace does. */
async function linkHost(id: string, bed: tb.TestbedInfo): Promise<ReturnType<typeof hostLink>> {
  const link = hostLink(bed.upstream.ns);
  await run('ip', ['link', 'del', link.name]).catch(() => undefined);
  for (const args of [
    ['link', 'add', link.name, 'type', 'veth', 'peer', 'name', 'host0', 'netns', bed.upstream.ns],
    ['addr', 'add', `${link.host}/30`, 'dev', link.name],
    ['link', 'set', link.name, 'up'],
  ]) {
    const x = await run('ip', args);
    if (x.code !== 0) throw new Error(`ip ${args.join(' ')}: ${x.stderr}`);
  }
  await ns(id, 'upstream', `ip addr add ${link.upstream}/30 dev host0 && ip link set host0 up`);
  return link;
}
