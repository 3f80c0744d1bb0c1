import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDaemon } from './proc.js';
import { NET } from './types.js';

/** Both instances run as root with their own files only: no system config, no host resolv.conf or hosts. */
const COMMON = ['no-resolv', 'no-hosts', 'user=root', 'group=root'];

export function routerConfig(stateDir: string, extra: readonly string[] = []): string {
  return [
    "# qlink testbed: the router's dnsmasq, as OpenWrt runs it (DHCPv4, DNS, RA)",
    ...COMMON,
    `server=${NET.up4}`,
    `interface=${NET.bridge}`,
    'bind-dynamic',
    `log-facility=${join(stateDir, 'dnsmasq-router.log')}`,
    'log-dhcp',
    `dhcp-range=${NET.dhcpFirst},${NET.dhcpLast},255.255.255.0,1h`,
    `dhcp-option=option:router,${NET.lan4}`,
    `dhcp-option=option:dns-server,${NET.lan4}`,
    'dhcp-authoritative',
    // The ping check before each offer would cost up to 3 s per client.
    'no-ping',
    'enable-ra',
    `dhcp-range=::,constructor:${NET.bridge},ra-stateless`,
    `ra-param=${NET.bridge},10`,
    ...extra,
    '',
  ].join('\n');
}

export function upstreamConfig(stateDir: string): string {
  return [
    '# qlink testbed: "the internet\'s" DNS, every name is the upstream host',
    ...COMMON,
    `address=/#/${NET.up4}`,
    `address=/#/${NET.up6}`,
    // Every query the internet sees is logged: the held-DNS tests look for what must never get out.
    'log-queries',
    `log-facility=${join(stateDir, 'dnsmasq-up.log')}`,
    '',
  ].join('\n');
}

export const leasesFile = (stateDir: string): string => join(stateDir, 'dnsmasq.leases');

/** dnsmasq's foreground parent exits only once the daemon has bound its sockets (or failed). */
export async function startDnsmasq(ns: string, stateDir: string, name: 'router' | 'up', config: string): Promise<void> {
  const conf = join(stateDir, `dnsmasq-${name}.conf`);
  writeFileSync(conf, config);
  const args = ['netns', 'exec', ns, 'dnsmasq', `--conf-file=${conf}`, `--pid-file=${join(stateDir, `dnsmasq-${name}.pid`)}`];
  if (name === 'router') args.push(`--dhcp-leasefile=${leasesFile(stateDir)}`);
  const log = join(stateDir, `dnsmasq-${name}.out`);
  const code = await runDaemon('ip', args, log);
  if (code !== 0) throw new Error(`dnsmasq (${name}) exited ${code}: ${readFileSync(log, 'utf8').trim()}`);
}
