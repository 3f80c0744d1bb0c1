import { runOk } from './proc.js';
import { NET } from './types.js';

const NO_DAD = 'for f in /proc/sys/net/ipv6/conf/*/accept_dad; do echo 0 > "$f"; done';

/**
 * Sysctls need a process inside the namespace; the same process then runs
 * every ip command of that namespace from one batch.
 */
async function configure(ns: string, shell: string[], batch: string[]): Promise<void> {
  const script = ['set -e', ...shell, 'exec ip -batch -'].join('\n');
  await runOk('ip', ['netns', 'exec', ns, 'sh', '-c', script], { input: batch.join('\n') + '\n' });
}

/**
 * No NAT: the upstream routes the LAN prefixes back to the router, so the
 * router's ruleset is empty until the agent adds its own table and
 * `nft flush ruleset` in the router removes only the agent's rules.
 */
export function configureRouter(ns: string, clients: number): Promise<void> {
  const ports = Array.from({ length: clients }, (_, i) => `lan-c${i + 1}`);
  return configure(
    ns,
    [NO_DAD, 'echo 1 > /proc/sys/net/ipv4/ip_forward', 'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding'],
    [
      'link set lo up',
      // Ports stay unisolated on purpose: guest isolation is the agent's job.
      `link add ${NET.bridge} type bridge`,
      ...ports.flatMap((p) => [`link set ${p} master ${NET.bridge}`, `link set ${p} up`]),
      `link set ${NET.bridge} up`,
      `addr add ${NET.lan4}/24 dev ${NET.bridge}`,
      `addr add ${NET.lan6}/64 dev ${NET.bridge} nodad`,
      'link set wan up',
      `addr add ${NET.wan4}/24 dev wan`,
      `addr add ${NET.wan6}/64 dev wan nodad`,
      `route add default via ${NET.up4}`,
      `route add ::/0 via ${NET.up6}`,
      `route add ${NET.homePrefix} via ${NET.up4}`,
    ],
  );
}

/**
 * A second guest subnet on the bridge, with no DHCP range of its own, for the
 * benches' fake guests: the agent counts only leases inside the guest
 * interface's subnets, and the fakes outnumber one /24.
 */
export function addFakeGuestSubnet(routerNs: string): Promise<void> {
  return configure(routerNs, [], [`addr add ${NET.fakeGuests4}/${NET.fakeGuests4Len} dev ${NET.bridge}`]);
}

export function configureUpstream(ns: string): Promise<void> {
  return configure(
    ns,
    [NO_DAD],
    [
      'link set lo up',
      `addr add ${NET.home4}/32 dev lo`,
      'link set eth0 up',
      `addr add ${NET.up4}/24 dev eth0`,
      `addr add ${NET.up6}/64 dev eth0 nodad`,
      `route add ${NET.lan4Prefix} via ${NET.wan4}`,
      `route add ${NET.lan6Prefix} via ${NET.wan6}`,
    ],
  );
}

/** Solicit at once and then every second, so SLAAC takes milliseconds. */
export function configureClient(ns: string): Promise<void> {
  const c = '/proc/sys/net/ipv6/conf/eth0';
  return configure(
    ns,
    [
      NO_DAD,
      `echo 0 > ${c}/use_tempaddr`,
      `echo 0 > ${c}/router_solicitation_delay`,
      `echo 1 > ${c}/router_solicitation_interval`,
      `echo -1 > ${c}/router_solicitations`,
      `if [ -e ${c}/router_solicitation_max_interval ]; then echo 1 > ${c}/router_solicitation_max_interval; fi`,
      // The link comes up now so br-lan has carrier (and its link-local
      // address) before dnsmasq starts; IPv6 waits for startDhcp, so the first
      // router solicitation finds dnsmasq ready. A lost one costs a second.
      `echo 1 > ${c}/disable_ipv6`,
    ],
    ['link set lo up', 'link set eth0 up'],
  );
}

/** The owner's LAN: the router's lan-home and one host behind it, on prefixes no default blocklist covers. */
export async function configureOwnerLan(routerNs: string, ownerNs: string): Promise<void> {
  await configure(routerNs, [], ['link set lan-home up', `addr add ${NET.ownerRouter4}/24 dev lan-home`, `addr add ${NET.ownerRouter6}/64 dev lan-home nodad`]);
  await configure(
    ownerNs,
    [NO_DAD],
    [
      'link set lo up',
      'link set eth0 up',
      `addr add ${NET.owner4}/24 dev eth0`,
      `addr add ${NET.owner6}/64 dev eth0 nodad`,
      `route add default via ${NET.ownerRouter4}`,
      `route add ::/0 via ${NET.ownerRouter6}`,
    ],
  );
}
