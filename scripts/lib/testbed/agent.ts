import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { nodeIn, run, startLogged, isAlive, sleep, killAndWait } from './proc.js';
import { REPO_ROOT } from './paths.js';
import { readPid } from './state.js';
import type { AgentInfo, RouterInfo } from './types.js';

/** Overridable so the testbed can be tried with a stand-in before the agent exists. */
/** Read when an agent starts, not at import: a test sets it before its first start, whatever it imported first. */
const agentMain = (): string => process.env.QLINK_AGENT_MAIN ?? join(REPO_ROOT, 'dist/agent/src/main.js');
const CLI = process.env.QLINK_AGENT_CLI ?? join(REPO_ROOT, 'dist/agent/src/cli/main.js');
const READY_MS = 15_000;

/**
 * The agent runs as on a router (openwrt/qlink-agent/files/qlink.init,
 * /etc/capabilities/qlink.json): its own uid and gid (qlink=370 there),
 * CAP_NET_ADMIN only, in every set including ambient so nft, tc, ip and
 * agent/native's programs inherit it, no supplementary groups, no_new_privs.
 * The iptables backend (for fw3 firmware, not packaged) needs more, measured:
 * CAP_DAC_OVERRIDE to write the bridge ports' sysfs `isolated` flag (root's
 * 0644 files), and for iptables-legacy also CAP_NET_RAW (its raw socket;
 * without it, it fails to list /proc/net/ip_tables_names and to init tables).
 * QLINK_TESTBED_AGENT_CAPS replaces the set (comma-separated, e.g.
 * "net_admin,net_raw"), and QLINK_TESTBED_AGENT_USER=root runs it as root,
 * for measuring what a change needs.
 */
export const AGENT_UID = 370;
export const AGENT_CAPS = ['net_admin'];
const asRoot = process.env.QLINK_TESTBED_AGENT_USER === 'root';

/** The capabilities the agent gets for a config (agent.json), as measured. */
export function agentCaps(config: Obj = {}): string[] {
  if (process.env.QLINK_TESTBED_AGENT_CAPS !== undefined) return process.env.QLINK_TESTBED_AGENT_CAPS.split(',').filter(Boolean);
  if (config.backend !== 'iptables') return AGENT_CAPS;
  return process.env.QLINK_IPTABLES === 'legacy' ? [...AGENT_CAPS, 'net_raw', 'dac_override'] : [...AGENT_CAPS, 'dac_override'];
}

/** argv that runs the rest of a command line the way the router runs the agent. */
export function agentPrivilegeArgv(caps: string[] = AGENT_CAPS): string[] {
  if (asRoot) return [];
  const set = caps.map((c) => `,+${c}`).join('');
  return [
    'setpriv',
    `--reuid=${AGENT_UID}`,
    `--regid=${AGENT_UID}`,
    '--clear-groups',
    `--inh-caps=-all${set}`,
    `--ambient-caps=-all${set}`,
    `--bounding-set=-all${set}`,
    '--no-new-privs',
    '--',
  ];
}

/** What the agent writes as its own user: the state directory (for its socket), and its data directory with everything in it. */
export function giveToAgent(stateDir: string, dataDir: string): void {
  if (asRoot) return;
  chownSync(stateDir, AGENT_UID, AGENT_UID);
  chownSync(dataDir, AGENT_UID, AGENT_UID);
  for (const f of readdirSync(dataDir, { recursive: true })) chownSync(join(dataDir, String(f)), AGENT_UID, AGENT_UID);
}

export function agentPaths(stateDir: string) {
  return {
    config: join(stateDir, 'agent.json'),
    socket: join(stateDir, 'qlink.sock'),
    log: join(stateDir, 'agent.log'),
    pidFile: join(stateDir, 'agent.pid'),
    dataDir: join(stateDir, 'agent-data'),
    leases: join(stateDir, 'dnsmasq.leases'),
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge of plain objects; arrays and scalars in extra replace. */
export function merge(base: Obj, extra: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(extra)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Obj, v) : v;
  return out;
}

/** Rewrites agent.json only when asked to or when missing; agent-data is never touched. */
export function writeAgentConfig(stateDir: string, extra?: Obj): Obj {
  const p = agentPaths(stateDir);
  mkdirSync(p.dataDir, { recursive: true });
  if (extra === undefined && existsSync(p.config)) return JSON.parse(readFileSync(p.config, 'utf8')) as Obj;
  const config = merge(
    { guestInterface: 'br-lan', dataDir: p.dataDir, controlSocket: p.socket, leasesFile: p.leases, portal: { port: 8088 }, pollIntervalMs: 1000 },
    extra ?? {},
  );
  writeFileSync(p.config, JSON.stringify(config, null, 2) + '\n');
  return config;
}

/** The pid only if it is still this testbed's agent (pids get reused). */
export function agentPid(stateDir: string): number | null {
  const p = agentPaths(stateDir);
  const pid = readPid(p.pidFile);
  if (pid === null || !isAlive(pid)) return null;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(p.config) ? pid : null;
  } catch {
    return null;
  }
}

export function agentInfo(stateDir: string): AgentInfo | undefined {
  const p = agentPaths(stateDir);
  if (!existsSync(p.config)) return undefined;
  const config = JSON.parse(readFileSync(p.config, 'utf8')) as { portal?: { port?: number } };
  return { pid: agentPid(stateDir), config: p.config, socket: p.socket, log: p.log, dataDir: p.dataDir, portalPort: config.portal?.port ?? 8088 };
}

const tail = (file: string): string => {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
};

export async function startAgent(router: RouterInfo, stateDir: string, extra?: Obj): Promise<AgentInfo> {
  const p = agentPaths(stateDir);
  const running = agentPid(stateDir);
  if (running !== null) throw new Error(`the agent is already running (pid ${running})`);
  const main = agentMain();
  if (!existsSync(main)) throw new Error(`agent not built: ${main} is missing (npx tsc -p tsconfig.json)`);
  const config = writeAgentConfig(stateDir, extra);
  rmSync(p.socket, { force: true }); // a stale socket from a killed agent would look ready
  giveToAgent(stateDir, p.dataDir);
  const [, , , ...cmd] = nodeIn(router.ns, main, '--config', p.config);
  const child = startLogged('ip', ['netns', 'exec', router.ns, ...agentPrivilegeArgv(agentCaps(config)), ...cmd], p.log);
  if (child.pid === undefined) throw new Error('could not start the agent');
  writeFileSync(p.pidFile, `${child.pid}\n`);
  const end = Date.now() + READY_MS;
  for (;;) {
    if (!isAlive(child.pid)) throw new Error(`the agent exited during start; ${p.log}:\n${tail(p.log)}`);
    if (existsSync(p.socket)) {
      const r = await run('ip', nodeIn(router.ns, CLI, '--socket', p.socket, 'status', '--json'));
      if (r.code === 0) break;
    }
    if (Date.now() > end) {
      await killAndWait([child.pid]);
      throw new Error(`the agent was not ready within ${READY_MS / 1000} s; ${p.log}:\n${tail(p.log)}`);
    }
    await sleep(50);
  }
  return agentInfo(stateDir) as AgentInfo;
}

/** SIGTERM lets the agent clean up; SIGKILL leaves its kernel rules behind, as a crash would. */
export async function stopAgent(stateDir: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<{ pid: number | null; forced: boolean }> {
  const pid = agentPid(stateDir);
  if (pid === null) return { pid: null, forced: false };
  let forced = false;
  try {
    await killAndWait([pid], signal, 10_000);
  } catch {
    forced = true;
    await killAndWait([pid], 'SIGKILL');
  }
  rmSync(agentPaths(stateDir).pidFile, { force: true });
  return { pid, forced };
}
