/**
 * The testbed: a router, "the internet" and N guests, each a network
 * namespace joined by veth pairs. See scripts/testbed for the CLI.
 */
import { spawn as spawnChild, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, rmSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkId, clientMac, nsName, nsPattern, resolveId, stateDir, STATE_ROOT } from './paths.js';
import { addNamespaces, addVeths, killAllIn, listNamespaces, removeNamespace, removeNetnsEtc, writeResolvConf } from './netns.js';
import { addFakeGuestSubnet, configureClient, configureOwnerLan, configureRouter, configureUpstream } from './topology.js';
import { routerConfig, startDnsmasq, upstreamConfig } from './dnsmasq.js';
import { startIperf, startNodeServer, waitListening } from './services.js';
import { startDhcp, waitAddrs } from './clients.js';
import { agentInfo, agentPaths, startAgent, stopAgent } from './agent.js';
import { loadState, saveState } from './state.js';
import { run } from './proc.js';
import { MAX_CLIENTS, NET, type ExecOptions, type ExecResult, type TestbedInfo, type UpOptions } from './types.js';

export * from './types.js';
export { resolveId } from './paths.js';

export async function up(opts: UpOptions = {}): Promise<TestbedInfo> {
  const id = resolveId(opts.id);
  const n = opts.clients ?? 2;
  if (!Number.isInteger(n) || n < 0 || n > MAX_CLIENTS) throw new Error(`clients must be 0..${MAX_CLIENTS}`);
  const log = opts.log ?? (() => {});
  const dir = stateDir(id);
  if (listNamespaces(nsPattern(id)).length > 0 || existsSync(dir)) {
    log(`testbed ${id} exists: tearing it down first`);
    await down(id);
  }
  const router = { ns: nsName(id, 'router'), lan4: NET.lan4, lan6: NET.lan6, wan4: NET.wan4, wan6: NET.wan6, bridge: NET.bridge };
  const upstream = { ns: nsName(id, 'upstream'), ip4: NET.up4, ip6: NET.up6, home4: NET.home4 };
  const names = Array.from({ length: n }, (_, i) => `c${i + 1}`);
  const info: TestbedInfo = { id, router, upstream, clients: [], stateDir: dir };
  try {
    mkdirSync(dir, { recursive: true });
    writeResolvConf(router.ns, '127.0.0.1');
    writeResolvConf(upstream.ns, '127.0.0.1');
    for (const c of names) writeResolvConf(nsName(id, c), NET.lan4);
    log(`namespaces: ${router.ns}, ${upstream.ns}, ${n} clients`);
    await addNamespaces([router.ns, upstream.ns, ...names.map((c) => nsName(id, c))]);
    await addVeths([
      { name: 'wan', ns: router.ns, peer: 'eth0', peerNs: upstream.ns },
      ...names.map((c, i) => ({ name: `lan-${c}`, ns: router.ns, peer: 'eth0', peerNs: nsName(id, c), peerMac: clientMac(i + 1) })),
    ]);
    await Promise.all([configureRouter(router.ns, n), configureUpstream(upstream.ns), ...names.map((c) => configureClient(nsName(id, c)))]);
    if (opts.fakeGuests) await addFakeGuestSubnet(router.ns);
    log('services: dnsmasq, http, iperf3, router stand-ins');
    startNodeServer(upstream.ns, dir, 'upstream-http', 'upstream-http.js', ['80']);
    startNodeServer(router.ns, dir, 'router-stubs', 'router-stubs.js');
    await Promise.all([
      startDnsmasq(router.ns, dir, 'router', routerConfig(dir, opts.dnsmasqExtra)),
      startDnsmasq(upstream.ns, dir, 'up', upstreamConfig(dir)),
      startIperf(upstream.ns, dir),
    ]);
    log('clients: DHCPv4 and SLAAC');
    const [addrs] = await Promise.all([
      Promise.all(
        names.map(async (c) => {
          await startDhcp(nsName(id, c), c, dir);
          return waitAddrs(nsName(id, c), c);
        }),
      ),
      waitListening(upstream.ns, [53, 80, 5201]),
      waitListening(router.ns, [22, 53, 80]),
    ]);
    info.clients = names.map((c, i) => ({ name: c, ns: nsName(id, c), mac: clientMac(i + 1), port: `lan-${c}`, ...addrs[i]! }));
    if (opts.ownerLan) {
      const ns = nsName(id, 'owner');
      log('owner LAN: lan-home and a host serving HTTP');
      await addNamespaces([ns]);
      await addVeths([{ name: 'lan-home', ns: router.ns, peer: 'eth0', peerNs: ns }]);
      await configureOwnerLan(router.ns, ns);
      startNodeServer(ns, dir, 'owner-http', 'upstream-http.js', ['80']);
      await waitListening(ns, [80]);
      info.owner = { ns, ip4: NET.owner4, ip6: NET.owner6 };
    }
    saveState(info);
    if (opts.agent) {
      log('agent: starting');
      info.agent = await startAgent(router, dir, opts.agentConfig);
      saveState(info);
    }
    return info;
  } catch (e) {
    log(`up failed, tearing down: ${(e as Error).message}`);
    await down(id).catch(() => {});
    throw e;
  }
}

/** Works without state.json: finds everything by name, so a crash mid-`up` is cleaned too. */
export async function down(id?: string): Promise<string[]> {
  const tid = resolveId(id);
  return removeAll(nsPattern(tid), [stateDir(tid)]);
}

/** Every testbed's namespaces (ql-<id>-…) and state, whoever made them. */
export async function downAll(): Promise<string[]> {
  const prefix = process.env.QLINK_TESTBED_PREFIX ?? '';
  const dirs = !existsSync(STATE_ROOT)
    ? []
    : prefix
      ? readdirSync(STATE_ROOT)
          .filter((d) => d.startsWith(prefix))
          .map((d) => join(STATE_ROOT, d))
      : [STATE_ROOT];
  return removeAll(nsPattern(), dirs);
}

async function removeAll(pattern: RegExp, dirs: string[]): Promise<string[]> {
  const found = listNamespaces(pattern);
  await Promise.all(found.map(removeNamespace));
  removeNetnsEtc(pattern);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  return found;
}

export function info(id?: string): TestbedInfo {
  const state = loadState(resolveId(id));
  const agent = agentInfo(state.stateDir);
  return agent ? { ...state, agent } : state;
}

/** The namespace and environment a command in this host runs with. */
function target(id: string | undefined, host: string, env?: Record<string, string>) {
  const tid = resolveId(id);
  const ns = nsName(checkId(tid), host);
  const extra: Record<string, string> = host === 'router' ? { QLINK_SOCKET: agentPaths(stateDir(tid)).socket } : {};
  return { ns, env: { ...process.env, ...extra, ...env } };
}

/** Runs argv in a host to its end; a non-zero exit is a result, not an error. */
export function exec(id: string | undefined, host: string, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const t = target(id, host, opts.env);
  return run('ip', ['netns', 'exec', t.ns, ...argv], { env: t.env, input: opts.input, timeoutMs: opts.timeoutMs, cwd: opts.cwd });
}

/** A background process in a host; `ip netns exec` execs, so killing the child kills the command. */
export function spawn(id: string | undefined, host: string, argv: readonly string[], opts: SpawnOptions & { env?: Record<string, string> } = {}): ChildProcess {
  const t = target(id, host, opts.env as Record<string, string> | undefined);
  return spawnChild('ip', ['netns', 'exec', t.ns, ...argv], { ...opts, env: t.env });
}

/** A host's power cut as far as processes go: every process in its namespace killed with SIGKILL (its kernel state stays). Their names. */
export async function killHost(id: string | undefined, host: string): Promise<string[]> {
  const ns = nsName(checkId(resolveId(id)), host);
  const names = (await run('ip', ['netns', 'pids', ns])).stdout
    .split(/\s+/)
    .filter(Boolean)
    .map((pid) => {
      try {
        return `${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()} (${pid})`;
      } catch {
        return pid;
      }
    });
  await killAllIn(ns);
  return names;
}

/**
 * The router's daemons other than the agent (dnsmasq, the ssh and LuCI
 * stand-ins), started again with the config files they had: what a router
 * runs after a power cut. dnsmasq finds its leases file as it left it.
 */
export async function routerDaemonsStart(id?: string): Promise<void> {
  const state = loadState(resolveId(id));
  startNodeServer(state.router.ns, state.stateDir, 'router-stubs', 'router-stubs.js');
  await startDnsmasq(state.router.ns, state.stateDir, 'router', readFileSync(join(state.stateDir, 'dnsmasq-router.conf'), 'utf8'));
  await waitListening(state.router.ns, [22, 53, 80]);
}

export async function agentStart(id?: string, agentConfig?: Record<string, unknown>): Promise<TestbedInfo> {
  const state = loadState(resolveId(id));
  state.agent = await startAgent(state.router, state.stateDir, agentConfig);
  saveState(state);
  return state;
}

export async function agentStop(id?: string): Promise<{ pid: number | null; forced: boolean }> {
  return stopAgent(loadState(resolveId(id)).stateDir, 'SIGTERM');
}

export async function agentKill(id?: string): Promise<{ pid: number | null; forced: boolean }> {
  return stopAgent(loadState(resolveId(id)).stateDir, 'SIGKILL');
}
