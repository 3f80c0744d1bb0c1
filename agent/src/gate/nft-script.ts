import type { Binding, GatePolicy, Grant } from './backend.js';
import { ARP, BRIDGE, INET, counterName, SPOOF_COUNTERS } from './nft-names.js';
import { ZERO_MARK, zoneSets } from './zero-rated.js';

/**
 * Renders nft scripts: pure text, so tests can compare exact batches and the
 * agent applies each as one transaction (the resident writer's, or one
 * `nft -f -` for a rebuild).
 *
 * The per-packet path, cheapest case first: a packet of a flow whose session
 * is known (its connection mark) costs two map lookups each way, the class
 * and the counter, and the upload key is the (MAC, session) pair, so a packet
 * of that flow from another MAC is not counted or passed. Only a flow's first
 * packets walk the rest: the (MAC, IP) binding, the walled garden, the
 * owner's networks, and the MAC's session, which then marks the flow.
 *
 * Zero-rated destinations: a guest whose plan has a zone jumps (one verdict
 * map lookup, on a flow's first packet) to the zone's chain, which marks a
 * flow to the zone's sets with the session's id | ZERO_MARK. That mark picks
 * the session's zero-rated counters and the same class, so afterwards those
 * flows cost what any other does.
 */

const q = (s: string): string => JSON.stringify(s);

function elements(items: readonly string[]): string {
  return items.length ? ` { ${items.join(', ')} }` : '';
}

/** How long an address the resolver put in a zero-rated set stays without being looked up again. */
export const ZERO_DNS_TIMEOUT = '1d';

/** How long a learnt IPv6 binding lasts without a new flow from it. */
export const V6_BINDING_TIMEOUT = '30m';

/** IPv6 source and ND target as raw payload: nft 1.0.6 has no `icmpv6 taddr`, and one set type must take both. */
const SRC6 = '@nh,64,128';
const TARGET6 = '@th,64,128';

/** Declarations are idempotent in nft; chains and the agent's static sets are flushed and refilled so nothing piles up. */
export function renderStatic(p: GatePolicy, bound4: readonly Binding[] = []): string {
  const g = q(p.guestInterface);
  const dns = p.heldDnsPort ?? 53;
  const blocked4 = [...p.blocked4, ...(p.own4 ?? [])];
  const blocked6 = [...p.blocked6, ...(p.own6 ?? [])];
  const zones = p.zeroZones ?? [];
  const lines = [
    `table ${INET} {`,
    '  map up_ctr { type ether_addr . mark : counter; }',
    '  map mark_of { type ether_addr : mark; }',
    '  map dn_ctr { type mark : counter; }',
    '  map cls_of { type mark : classid; }',
    '  set auth_mac { type ether_addr; }',
    // IPv4 bindings come from the router's DHCP leases; IPv6 ones are claimed by a source's first flow, first come first served.
    '  set bound4 { type ether_addr . ipv4_addr; }',
    '  set owned4 { type ipv4_addr; }',
    `  set bound6 { typeof ether saddr . ${SRC6}; flags dynamic, timeout; timeout ${V6_BINDING_TIMEOUT}; }`,
    `  set owned6 { typeof ${SRC6}; flags dynamic, timeout; timeout ${V6_BINDING_TIMEOUT}; }`,
    '  set walled4 { type ipv4_addr; flags interval; auto-merge; }',
    '  set walled6 { type ipv6_addr; flags interval; auto-merge; }',
    '  set blocked4 { type ipv4_addr; flags interval; auto-merge; }',
    '  set blocked6 { type ipv6_addr; flags interval; auto-merge; }',
    // A guest's zone chain (zero-rated destinations), its prerouting exemption from the portal, and its zero-rated mark.
    '  map zone_of { type ether_addr : verdict; }',
    '  map zpre_of { type ether_addr : verdict; }',
    '  map zmark_of { type ether_addr : mark; }',
    ...zones.flatMap((z) => {
      const n = zoneSets(z.zone);
      return [
        `  set ${n.pfx4} { type ipv4_addr; flags interval; auto-merge; }`,
        `  set ${n.pfx6} { type ipv6_addr; flags interval; auto-merge; }`,
        // Filled by the resolver as guests look the zone's names up; an address not looked up again for a day goes.
        `  set ${n.dns4} { type ipv4_addr; flags timeout; timeout ${ZERO_DNS_TIMEOUT}; }`,
        `  set ${n.dns6} { type ipv6_addr; flags timeout; timeout ${ZERO_DNS_TIMEOUT}; }`,
        `  chain zr_${z.zone} { }`,
        `  chain zpre_${z.zone} { }`,
      ];
    }),
    `  counter ${SPOOF_COUNTERS.v4} { }`,
    `  counter ${SPOOF_COUNTERS.v6} { }`,
    // Ahead of firewall4's chains (priority 0): a guest verdict here is final for drops.
    '  chain forward { type filter hook forward priority filter - 10; policy accept; }',
    '  chain from_guest { }',
    '  chain to_guest { }',
    '  chain refuse { }',
    '  chain claim6 { }',
    '  chain check6 { }',
    '  chain prerouting { type nat hook prerouting priority dstnat - 10; policy accept; }',
    '  chain input { type filter hook input priority filter - 10; policy accept; }',
    '}',
    // The router's ARP table learns only what a guest says of its own leased address.
    `table ${ARP} {`,
    '  set bound4 { type ether_addr . ipv4_addr; }',
    '  set owned4 { type ipv4_addr; }',
    `  counter ${SPOOF_COUNTERS.arp} { }`,
    '  chain input { type filter hook input priority filter - 10; policy accept; }',
    '}',
    `table ${BRIDGE} {`,
    '  set guest_ports { type ifname; }',
    '  chain forward { type filter hook forward priority filter - 10; policy accept; }',
    '}',
  ];
  const zoneChains = zones.flatMap((z) => [`zr_${z.zone}`, `zpre_${z.zone}`]);
  for (const c of ['forward', 'from_guest', 'to_guest', 'refuse', 'claim6', 'check6', 'prerouting', 'input', ...zoneChains])
    lines.push(`flush chain ${INET} ${c}`);
  lines.push(`flush chain ${ARP} input`, `flush chain ${BRIDGE} forward`);
  for (const s of ['walled4', 'walled6', 'blocked4', 'blocked6', 'bound4', 'owned4']) lines.push(`flush set ${INET} ${s}`);
  for (const s of ['bound4', 'owned4']) lines.push(`flush set ${ARP} ${s}`);
  const sets: Array<[string, string[]]> = [
    ['walled4', p.walled4],
    ['walled6', p.walled6],
    ['blocked4', blocked4],
    ['blocked6', blocked6],
  ];
  for (const z of zones) {
    const n = zoneSets(z.zone);
    lines.push(`flush set ${INET} ${n.pfx4}`, `flush set ${INET} ${n.pfx6}`);
    sets.push([n.pfx4, z.v4], [n.pfx6, z.v6]);
  }
  for (const [name, items] of sets) if (items.length) lines.push(`add element ${INET} ${name}${elements(items)}`);
  lines.push(...renderBindings(bound4, []));
  const rule = (chain: string, body: string) => lines.push(`add rule ${INET} ${chain} ${body}`);
  const upload = 'meta priority set ct mark map @cls_of counter name ether saddr . ct mark map @up_ctr accept';
  rule('forward', `iifname ${g} jump from_guest`);
  rule('forward', `oifname ${g} jump to_guest`);
  // A flow already marked with a live session: queued, counted, through.
  rule('from_guest', `ct mark != 0 ${upload}`);
  // Guests never reach each other, routed or bridged.
  rule('from_guest', `oifname ${g} drop`);
  rule('from_guest', `meta nfproto ipv4 ether saddr . ip saddr != @bound4 counter name ${SPOOF_COUNTERS.v4} drop`);
  rule('from_guest', 'meta nfproto ipv6 jump claim6');
  rule('from_guest', 'ip daddr @walled4 accept');
  rule('from_guest', 'ip6 daddr @walled6 accept');
  rule('from_guest', 'ip daddr @blocked4 jump refuse');
  rule('from_guest', 'ip6 daddr @blocked6 jump refuse');
  // A zero-rated destination of the guest's plan: the zone's chain marks and passes the flow.
  if (zones.length) rule('from_guest', 'ether saddr vmap @zone_of');
  // The mark carries the session to every later packet and to the replies, whatever address the guest uses.
  rule('from_guest', 'ct mark set ether saddr map @mark_of');
  rule('from_guest', upload);
  rule('from_guest', 'jump refuse');
  // IPv6 sources in chains of their own: with no protocol match in the same rule, `nft list` prints the raw
  // payload as written and its output loads again (a rule that also matched ipv6 would print `ip6 saddr`, which does not).
  rule('claim6', `${SRC6} != @owned6 add @owned6 { ${SRC6} } add @bound6 { ether saddr . ${SRC6} }`);
  rule('claim6', `ether saddr . ${SRC6} != @bound6 counter name ${SPOOF_COUNTERS.v6} drop`);
  rule('claim6', `update @owned6 { ${SRC6} } update @bound6 { ether saddr . ${SRC6} }`);
  rule('check6', `${SRC6} @owned6 ether saddr . ${SRC6} != @bound6 counter name ${SPOOF_COUNTERS.v6} drop`);
  for (const z of zones) {
    const n = zoneSets(z.zone);
    for (const [match, set] of [
      ['ip daddr', n.pfx4],
      ['ip daddr', n.dns4],
      ['ip6 daddr', n.pfx6],
      ['ip6 daddr', n.dns6],
    ] as const) {
      rule(`zr_${z.zone}`, `${match} @${set} ct mark set ether saddr map @zmark_of ${upload}`);
      // Not sent to the portal while the guest has no session but its zone (credit out, the plan keeps zero-rated destinations).
      rule(`zpre_${z.zone}`, `${match} @${set} accept`);
    }
  }
  rule('to_guest', 'meta priority set ct mark map @cls_of counter name ct mark map @dn_ctr accept');
  rule('to_guest', 'ct state established,related ip saddr @walled4 accept');
  rule('to_guest', 'ct state established,related ip6 saddr @walled6 accept');
  // A connection of an ended session: reset the far end so it lets go; the guest gets its reset on its next packet.
  rule('to_guest', 'ct mark != 0 meta l4proto tcp reject with tcp reset');
  rule('to_guest', 'drop');
  // A reset or an ICMP error at once, so a phone falls back to its portal probe quickly.
  rule('refuse', 'meta l4proto tcp reject with tcp reset');
  rule('refuse', 'reject with icmpx type admin-prohibited');
  rule('prerouting', `iifname != ${g} return`);
  // Paying guests' DNS to the resolver that fills the zero-rated sets, wherever they send it.
  if (p.paidDnsPort !== undefined) rule('prerouting', `ether saddr @auth_mac meta l4proto { tcp, udp } th dport 53 redirect to :${p.paidDnsPort}`);
  rule('prerouting', 'ether saddr @auth_mac return');
  // Before the garden's exemption, so no garden host serves a held guest as a resolver.
  rule('prerouting', `meta l4proto { tcp, udp } th dport 53 redirect to :${dns}`);
  rule('prerouting', 'ip daddr @walled4 return');
  rule('prerouting', 'ip6 daddr @walled6 return');
  if (zones.length) rule('prerouting', 'ether saddr vmap @zpre_of');
  rule('prerouting', `tcp dport 80 redirect to :${p.portalPort}`);
  // The portal is the guest network's: from any other interface (the owner's LAN, the WAN) its port is refused.
  rule('input', `iifname != { ${g}, "lo" } tcp dport ${p.portalPort} jump refuse`);
  rule('input', `iifname != ${g} return`);
  // Someone else's address from this MAC, to the router itself (the portal, its resolver) or in neighbour discovery.
  rule('input', `meta nfproto ipv4 ip saddr @owned4 ether saddr . ip saddr != @bound4 counter name ${SPOOF_COUNTERS.v4} drop`);
  rule('input', 'meta nfproto ipv6 jump check6');
  rule('input', `icmpv6 type nd-neighbor-advert ${TARGET6} @owned6 ether saddr . ${TARGET6} != @bound6 counter name ${SPOOF_COUNTERS.v6} drop`);
  rule('input', 'ct state established,related accept');
  rule('input', 'meta l4proto { icmp, ipv6-icmp } accept');
  const dnsPorts = [53, dns, ...(p.paidDnsPort === undefined ? [] : [p.paidDnsPort])];
  const ports = [...new Set(dnsPorts)].join(', ');
  rule('input', `udp dport { ${[...new Set([...dnsPorts, 67, 547])].join(', ')} } accept`);
  rule('input', `tcp dport { ${ports}, ${p.portalPort} } accept`);
  rule('input', 'jump refuse');
  lines.push(`add rule ${ARP} input iifname ${g} arp saddr ip @owned4 arp saddr ether . arp saddr ip != @bound4 counter name ${SPOOF_COUNTERS.arp} drop`);
  lines.push(`add rule ${BRIDGE} forward iifname @guest_ports drop`);
  return lines.join('\n') + '\n';
}

/** The (MAC, IPv4) pairs leases vouch for: the forward check, the router's own services and its ARP table. */
export function renderBindings(add: readonly Binding[], del: readonly Binding[]): string[] {
  const lines: string[] = [];
  const pairs = (bs: readonly Binding[]) => bs.map((b) => `${b.mac} . ${b.ip}`);
  const ips = (bs: readonly Binding[]) => bs.map((b) => b.ip);
  for (const table of [INET, ARP]) {
    if (del.length) lines.push(`delete element ${table} bound4${elements(pairs(del))}`, `delete element ${table} owned4${elements(ips(del))}`);
  }
  for (const table of [INET, ARP]) {
    if (add.length) lines.push(`add element ${table} bound4${elements(pairs(add))}`, `add element ${table} owned4${elements(ips(add))}`);
  }
  return lines;
}

/** A session's counter objects: the zero-rated pair only for a session with a zone. */
export const counterDirs = (zoned: boolean) => (zoned ? (['up', 'dn', 'zup', 'zdn'] as const) : (['up', 'dn'] as const));

export function renderAddCounters(sessionId: number, zoned = false): string[] {
  return counterDirs(zoned).map((d) => `add counter ${INET} ${counterName(sessionId, d)}`);
}

const zeroMark = (sessionId: number): number => (sessionId | ZERO_MARK) >>> 0;

export function renderGrantElements(g: Grant): string[] {
  const cls = `1:${g.classMinor.toString(16)}`;
  const lines =
    g.charged === false
      ? []
      : [
          `add element ${INET} up_ctr { ${g.mac} . ${g.sessionId} : ${q(counterName(g.sessionId, 'up'))} }`,
          `add element ${INET} dn_ctr { ${g.sessionId} : ${q(counterName(g.sessionId, 'dn'))} }`,
          `add element ${INET} cls_of { ${g.sessionId} : ${cls} }`,
          `add element ${INET} mark_of { ${g.mac} : ${g.sessionId} }`,
          `add element ${INET} auth_mac { ${g.mac} }`,
        ];
  if (g.zone) {
    const z = zeroMark(g.sessionId);
    lines.push(
      `add element ${INET} up_ctr { ${g.mac} . ${z} : ${q(counterName(g.sessionId, 'zup'))} }`,
      `add element ${INET} dn_ctr { ${z} : ${q(counterName(g.sessionId, 'zdn'))} }`,
      `add element ${INET} cls_of { ${z} : ${cls} }`,
      `add element ${INET} zmark_of { ${g.mac} : ${z} }`,
      `add element ${INET} zone_of { ${g.mac} : jump zr_${g.zone} }`,
      `add element ${INET} zpre_of { ${g.mac} : jump zpre_${g.zone} }`,
    );
  }
  return lines;
}

export function renderRevokeElements(g: Grant): string[] {
  const lines =
    g.charged === false
      ? []
      : [
          `delete element ${INET} auth_mac { ${g.mac} }`,
          `delete element ${INET} mark_of { ${g.mac} }`,
          `delete element ${INET} up_ctr { ${g.mac} . ${g.sessionId} }`,
          `delete element ${INET} dn_ctr { ${g.sessionId} }`,
          `delete element ${INET} cls_of { ${g.sessionId} }`,
        ];
  if (g.zone) {
    const z = zeroMark(g.sessionId);
    lines.push(
      `delete element ${INET} zone_of { ${g.mac} }`,
      `delete element ${INET} zpre_of { ${g.mac} }`,
      `delete element ${INET} zmark_of { ${g.mac} }`,
      `delete element ${INET} up_ctr { ${g.mac} . ${z} }`,
      `delete element ${INET} dn_ctr { ${z} }`,
      `delete element ${INET} cls_of { ${z} }`,
    );
  }
  return lines;
}

export function renderDropCounters(sessionId: number, zoned = false): string[] {
  return counterDirs(zoned).map((d) => `delete counter ${INET} ${counterName(sessionId, d)}`);
}

export function renderGuestPorts(ports: readonly string[]): string {
  const lines = [`flush set ${BRIDGE} guest_ports`];
  if (ports.length) lines.push(`add element ${BRIDGE} guest_ports${elements(ports.map(q))}`);
  return lines.join('\n') + '\n';
}

export const renderRemove = (): string => `delete table ${INET}\ndelete table ${ARP}\ndelete table ${BRIDGE}\n`;
