/**
 * The whole wallet path in network namespaces, for the wallet tests, their
 * benchmark and scripts/verify-wallet: testbeds (a router and a guest each,
 * routers of one owner), and on "the internet" of the first one a real
 * neo-go chain, the wallet RPC shim, an MQTT broker and a gateway that
 * sponsors guests' fees and indexes channels. The other testbeds' uplinks
 * and guests reach those through socat bridges over Unix sockets. A guest's
 * wallet reaches its node (the shim, on the chain's address) only through
 * its router's walled garden, as a phone's would.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { account } from '../../../chain/src/neon.js';
import { parseChainState, type ChainState } from '../../../chain/src/config.js';
import { privateKeyFromHex } from '../../../protocol/src/node/index.js';
import { mosquittoConf } from '../system/services.js';
import * as tb from '../testbed/index.js';
import { sleep, waitFor } from '../testbed/proc.js';

export const RPC_IP = '203.0.113.20';
export const RPC = `http://${RPC_IP}:40332`;
/** The wallets' node: the shim in front of neo-go (NeoLine's fee estimate needs it there). */
export const WALLET_RPC = `http://${RPC_IP}:40340`;
const BROKER = 'mqtt://203.0.113.10:1883';
const PORT = 8088;

export interface WalletBedOptions {
  /** Testbed ids: the first hosts the internet's services; each is a router of the same owner with one guest. */
  ids: string[];
  dir: string;
  plans: unknown[];
  /** The gateway's sponsor section; null: no sponsoring. */
  sponsor?: Record<string, unknown> | null;
  portal?: Record<string, unknown>;
  agent?: Record<string, unknown>;
  /** Guests per testbed (c1, c2, …; each its own MAC). */
  clients?: number;
  /** The chain's fee policy profile (scripts/chain --policy): default, mainnet or testnet. */
  policy?: 'default' | 'mainnet' | 'testnet';
  /** Testbeds (by index) whose router starts as a fresh install: a key of its own made at first start, not registered, no plans published. */
  fresh?: number[];
  /** An address (CIDR) on an interface `owner-lan` in each router's namespace (a veth whose peer stays there too; this kernel has no dummy links): the owner's LAN side, not the guest bridge. */
  ownerLan?: string;
  /** Merged into the gateway's api section (its port and host: reached from the routers' namespaces when host is 0.0.0.0). */
  api?: Record<string, unknown>;
}

export interface WalletBed {
  beds: tb.TestbedInfo[];
  chain: ChainState;
  wif(name: string): string;
  /** The gateway: its SQLite file, log, and a restart with another sponsor section. */
  gatewayDb: string;
  gatewayLog: string;
  restartGateway(sponsor: Record<string, unknown> | null): Promise<void>;
  /** A Unix socket a bridge in bed i's guest namespace forwards to the wallets' node: a wallet double's RPC crosses the router there. */
  walletSocket(i: number, client?: string): Promise<string>;
  /** scripts/guest-wallet in the internet's namespace. */
  wallet(args: string[], env?: Record<string, string>): Promise<Record<string, unknown>>;
  balance(address: string): Promise<bigint>;
  portalUrl: string;
  stop(): Promise<void>;
}

const stopProc = async (p: ChildProcess | undefined) => {
  if (!p || p.exitCode !== null || p.signalCode) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await Promise.race([gone, sleep(10_000).then(() => p.kill('SIGKILL'))]);
};

export async function startWalletBed(o: WalletBedOptions): Promise<WalletBed> {
  const procs: ChildProcess[] = [];
  const [A, ...others] = o.ids;
  if (!A) throw new Error('at least one testbed');
  mkdirSync(o.dir, { recursive: true });
  const chainEnv = {
    QLINK_CHAIN_DIR: join(o.dir, 'chain'),
    QLINK_CHAIN_RPC_ADDR: RPC_IP,
    QLINK_CHAIN_RPC_PORT: '40332',
    QLINK_CHAIN_P2P_PORT: '40333',
    QLINK_CHAIN_RPC_URL: RPC,
    QLINK_CHAIN_POLICY: o.policy ?? 'default',
  };
  let gateway: ChildProcess | undefined;
  const stop = async () => {
    await stopProc(gateway);
    for (const p of procs.reverse()) await stopProc(p);
    await tb.exec(A, 'upstream', ['scripts/chain', 'down'], { env: chainEnv, timeoutMs: 60_000, cwd: process.cwd() }).catch(() => undefined);
    for (const id of o.ids) await tb.down(id).catch(() => undefined);
  };
  try {
    for (const id of o.ids) await tb.down(id).catch(() => undefined);
    const beds: tb.TestbedInfo[] = [];
    for (const id of o.ids) beds.push(await tb.up({ id, clients: o.clients ?? 1 }));
    const bedA = beds[0]!;
    // The internet: the chain on an address of its own, the wallets' shim beside it, the broker.
    await tb.exec(A, 'upstream', ['ip', 'addr', 'add', `${RPC_IP}/24`, 'dev', 'eth0']);
    const up = await tb.exec(A, 'upstream', ['scripts/chain', 'up'], { env: chainEnv, timeoutMs: 300_000, cwd: process.cwd() });
    if (up.code !== 0) throw new Error(`scripts/chain up failed: ${up.stderr.slice(-500)}`);
    const chain = parseChainState(up.stdout);
    const wif = (n: string) => chain.wallets[n]!.wif;
    const spawnLogged = (id: string, host: string, argv: string[], log: string, env: Record<string, string> = {}) => {
      const fd = openSync(join(o.dir, log), 'a');
      try {
        const p = tb.spawn(id, host, argv, { stdio: ['ignore', fd, fd], env: { NODE_OPTIONS: '', ...env }, cwd: process.cwd() });
        p.on('error', () => undefined);
        procs.push(p);
        return p;
      } finally {
        closeSync(fd);
      }
    };
    spawnLogged(
      A,
      'upstream',
      ['node', 'dist/scripts/lib/wallet-shim.js', '--listen', `${RPC_IP}:40340`, '--upstream', RPC, '--log', join(o.dir, 'shim.jsonl')],
      'shim.out',
    );
    writeFileSync(join(o.dir, 'mosquitto.conf'), mosquittoConf(1883, bedA.upstream.ip4));
    spawnLogged(A, 'upstream', ['/usr/sbin/mosquitto', '-c', join(o.dir, 'mosquitto.conf')], 'mosquitto.out');
    // The other testbeds' internets: the broker and the wallets' node bridged over Unix sockets to the first one's.
    const brokerSock = join(o.dir, 'broker.sock');
    const shimSock = join(o.dir, 'shim.sock');
    spawnLogged(A, 'upstream', ['socat', `UNIX-LISTEN:${brokerSock},fork,unlink-early`, `TCP:${bedA.upstream.ip4}:1883`], 'socat.out');
    spawnLogged(A, 'upstream', ['socat', `UNIX-LISTEN:${shimSock},fork,unlink-early`, `TCP:${RPC_IP}:40340`], 'socat.out');
    for (const [i, id] of others.entries()) {
      await tb.exec(id, 'upstream', ['ip', 'addr', 'add', `${RPC_IP}/24`, 'dev', 'eth0']);
      spawnLogged(id, 'upstream', ['socat', `TCP-LISTEN:1883,bind=${beds[i + 1]!.upstream.ip4},reuseaddr,fork`, `UNIX-CONNECT:${brokerSock}`], 'socat.out');
      spawnLogged(id, 'upstream', ['socat', `TCP-LISTEN:40340,bind=${RPC_IP},reuseaddr,fork`, `UNIX-CONNECT:${shimSock}`], 'socat.out');
    }
    const cli = async (args: string[], env: Record<string, string> = {}) => {
      const r = await tb.exec(
        A,
        'upstream',
        ['scripts/guest-wallet', ...args, '--rpc', RPC, '--magic', String(chain.networkMagic), '--contract', chain.contract],
        { env: { NODE_OPTIONS: '', ...env }, timeoutMs: 60_000, cwd: process.cwd() },
      );
      if (r.code !== 0) throw new Error(`guest-wallet ${args[0]}: ${r.stderr}`);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    // Routers of one owner, their plans on chain.
    // The owner authorises the gateway's closer key once, with the first router it registers (the gateway never holds the owner's key).
    let closerSet = false;
    for (const [i] of o.ids.entries()) {
      if (o.fresh?.includes(i)) continue;
      await cli(['register', '--plans', JSON.stringify(o.plans), ...(closerSet ? [] : ['--closer', chain.wallets.closer!.address])], {
        QLINK_OWNER_WIF: wif('owner'),
        QLINK_ROUTER_WIF: wif(`router${i + 1}`),
      });
      closerSet = true;
    }

    const gatewayDb = join(o.dir, 'gateway.db');
    const gatewayLog = join(o.dir, 'gateway.log');
    const startGateway = async (sponsor: Record<string, unknown> | null) => {
      writeFileSync(
        join(o.dir, 'gateway.json'),
        JSON.stringify({
          broker: { url: BROKER, clientId: 'gw-wallet' },
          store: { sqlite: gatewayDb },
          chain: { rpc: RPC, networkMagic: chain.networkMagic, contract: chain.contract },
          api: { port: 0, ...o.api },
          settlement: { wifEnv: 'QLINK_GATEWAY_WIF', closerKeys: [{ wifEnv: 'QLINK_CLOSER_WIF' }], checkMs: 1_000 },
          ...(sponsor ? { sponsor: { wifEnv: 'QLINK_SPONSOR_WIF', ...sponsor } } : {}),
          index: { pollMs: 300 },
        }),
      );
      const before = (() => {
        try {
          return readFileSync(gatewayLog, 'utf8').length;
        } catch {
          return 0;
        }
      })();
      const fd = openSync(gatewayLog, 'a');
      try {
        gateway = tb.spawn(A, 'upstream', ['node', 'dist/gateway/src/main.js', '--config', join(o.dir, 'gateway.json')], {
          stdio: ['ignore', fd, fd],
          cwd: process.cwd(),
          env: { NODE_OPTIONS: '', QLINK_GATEWAY_WIF: wif('gateway'), QLINK_CLOSER_WIF: wif('closer'), QLINK_SPONSOR_WIF: wif('sponsor') },
        });
      } finally {
        closeSync(fd);
      }
      await waitFor(
        'the gateway started',
        30_000,
        () => (readFileSync(gatewayLog, 'utf8').slice(before).includes('qlink-gateway started') ? true : undefined),
        200,
      );
    };
    await startGateway(o.sponsor === undefined ? {} : o.sponsor);

    const owner = '0x' + account(wif('owner')).scriptHash;
    for (const [i, bed] of beds.entries()) {
      const data = join(bed.stateDir, 'agent-data');
      mkdirSync(data, { recursive: true, mode: 0o700 });
      if (!o.fresh?.includes(i))
        writeFileSync(join(data, 'router.key'), privateKeyFromHex(account(wif(`router${i + 1}`)).privateKey).export({ format: 'pem', type: 'pkcs8' }), {
          mode: 0o600,
        });
      if (o.ownerLan) {
        for (const cmd of [
          ['ip', 'link', 'add', 'owner-lan', 'type', 'veth', 'peer', 'name', 'owner-lan-p'],
          ['ip', 'addr', 'add', o.ownerLan, 'dev', 'owner-lan'],
          ['ip', 'link', 'set', 'owner-lan-p', 'up'],
          ['ip', 'link', 'set', 'owner-lan', 'up'],
        ]) {
          const r = await tb.exec(bed.id, 'router', cmd);
          if (r.code !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
        }
      }
      await tb.agentStart(bed.id, {
        chain: { networkMagic: chain.networkMagic, contract: chain.contract },
        // The gateway signs its acks and answers with the settlement wallet's key (no signingKey in its config): the router pins it.
        uplink: { url: BROKER, reconnectMs: 500, gatewayKey: account(wif('gateway')).publicKey },
        walledGarden: [RPC_IP],
        plans: o.plans,
        portal: {
          port: PORT,
          name: 'Café Lumen',
          owner,
          deposit: '0.5',
          creditWindow: '0.001',
          expiryMarginSeconds: 60,
          walletTimeoutSeconds: 20,
          ...o.portal,
        },
        ...o.agent,
      });
    }
    const sockets = new Map<string, string>();
    return {
      beds,
      chain,
      wif,
      gatewayDb,
      gatewayLog,
      portalUrl: `http://${bedA.router.lan4}:${PORT}/`,
      async restartGateway(sponsor) {
        await stopProc(gateway);
        await startGateway(sponsor);
      },
      async walletSocket(i, client = 'c1') {
        const known = sockets.get(`${i}-${client}`);
        if (known) return known;
        const sock = join(o.dir, `wallet-${i}-${client}.sock`);
        spawnLogged(o.ids[i]!, client, ['socat', `UNIX-LISTEN:${sock},fork,unlink-early`, `TCP:${RPC_IP}:40340`], 'socat.out');
        await waitFor('the wallet bridge', 10_000, () => (existsSync(sock) ? true : undefined), 100);
        sockets.set(`${i}-${client}`, sock);
        return sock;
      },
      wallet: cli,
      balance: async (address) => BigInt(String((await cli(['balance', '--address', address])).gas)),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
