import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { run, runDaemon, waitFor } from './proc.js';
import { REPO_ROOT } from './paths.js';

const SCRIPT = join(REPO_ROOT, 'scripts/lib/testbed/udhcpc.sh');

interface AddrInfo {
  family: string;
  local: string;
  scope: string;
  tentative?: boolean;
  dadfailed?: boolean;
}

export interface ClientAddrs {
  ip4?: string;
  ip6?: string;
}

export async function clientAddrs(ns: string): Promise<ClientAddrs> {
  const r = await run('ip', ['-n', ns, '-j', 'addr', 'show', 'dev', 'eth0']);
  if (r.code !== 0) return {};
  const links = JSON.parse(r.stdout) as { addr_info?: AddrInfo[] }[];
  const infos = links[0]?.addr_info ?? [];
  const global = infos.filter((a) => a.scope === 'global' && !a.tentative && !a.dadfailed);
  return {
    ip4: global.find((a) => a.family === 'inet')?.local,
    ip6: global.find((a) => a.family === 'inet6' && a.local.startsWith('2001:db8:1:'))?.local,
  };
}

/**
 * udhcpc stays in the foreground until it holds a lease, then daemonises to
 * renew it: the parent's exit is the "bound" signal, and -n makes it fail
 * instead of backgrounding when no server answers.
 */
export async function startDhcp(ns: string, name: string, stateDir: string): Promise<void> {
  const log = join(stateDir, `udhcpc-${name}.log`);
  const udhcpc = ['udhcpc', '-i', 'eth0', '-s', SCRIPT, '-p', join(stateDir, `udhcpc-${name}.pid`), '-t', '20', '-T', '1', '-n', '-x', `hostname:${name}`];
  const code = await runDaemon(
    'ip',
    ['netns', 'exec', ns, 'sh', '-c', 'echo 0 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6 && exec "$@"', 'sh', ...udhcpc],
    log,
  );
  if (code !== 0) throw new Error(`udhcpc in ${name} exited ${code}: ${readFileSync(log, 'utf8').trim()}`);
}

/** Both families: a v4 lease from dnsmasq and a v6 SLAAC address past DAD. */
export async function waitAddrs(ns: string, name: string, timeoutMs = 15_000): Promise<Required<ClientAddrs>> {
  return waitFor(`${name} to get IPv4 and IPv6 addresses`, timeoutMs, async () => {
    const a = await clientAddrs(ns);
    return a.ip4 && a.ip6 ? { ip4: a.ip4, ip6: a.ip6 } : undefined;
  });
}
