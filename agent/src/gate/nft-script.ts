import type { GatePolicy, Grant } from './backend.js';
import { BRIDGE, INET, counterName } from './nft-names.js';

/**
 * Renders nft scripts: pure text, so tests can compare exact batches and the
 * agent applies each as one `nft -f -` transaction.
 */

const q = (s: string): string => JSON.stringify(s);

function elements(items: readonly string[]): string {
  return items.length ? ` { ${items.join(', ')} }` : '';
}

/** Declarations are idempotent in nft; chains are flushed and refilled so rules never pile up. */
export function renderStatic(p: GatePolicy): string {
  const g = q(p.guestInterface);
  const lines = [
    `table ${INET} {`,
    '  map up_ctr { type ether_addr : counter; }',
    '  map mark_of { type ether_addr : mark; }',
    '  map dn_ctr { type mark : counter; }',
    '  map cls_of { type mark : classid; }',
    '  set auth_mac { type ether_addr; }',
    '  set walled4 { type ipv4_addr; flags interval; auto-merge; }',
    '  set walled6 { type ipv6_addr; flags interval; auto-merge; }',
    '  set blocked4 { type ipv4_addr; flags interval; auto-merge; }',
    '  set blocked6 { type ipv6_addr; flags interval; auto-merge; }',
    // Ahead of firewall4's chains (priority 0): a guest verdict here is final for drops.
    '  chain forward { type filter hook forward priority filter - 10; policy accept; }',
    '  chain from_guest { }',
    '  chain to_guest { }',
    '  chain refuse { }',
    '  chain prerouting { type nat hook prerouting priority dstnat - 10; policy accept; }',
    '  chain input { type filter hook input priority filter - 10; policy accept; }',
    '}',
    `table ${BRIDGE} {`,
    '  set guest_ports { type ifname; }',
    '  chain forward { type filter hook forward priority filter - 10; policy accept; }',
    '}',
  ];
  for (const c of ['forward', 'from_guest', 'to_guest', 'refuse', 'prerouting', 'input']) lines.push(`flush chain ${INET} ${c}`);
  lines.push(`flush chain ${BRIDGE} forward`);
  for (const s of ['walled4', 'walled6', 'blocked4', 'blocked6']) lines.push(`flush set ${INET} ${s}`);
  const sets: Array<[string, string[]]> = [
    ['walled4', p.walled4], ['walled6', p.walled6], ['blocked4', p.blocked4], ['blocked6', p.blocked6],
  ];
  for (const [name, items] of sets) if (items.length) lines.push(`add element ${INET} ${name}${elements(items)}`);
  const rule = (chain: string, body: string) => lines.push(`add rule ${INET} ${chain} ${body}`);
  rule('forward', `iifname ${g} jump from_guest`);
  rule('forward', `oifname ${g} jump to_guest`);
  // Guests never reach each other, routed or bridged.
  rule('from_guest', `oifname ${g} drop`);
  rule('from_guest', 'ip daddr @walled4 accept');
  rule('from_guest', 'ip6 daddr @walled6 accept');
  rule('from_guest', 'ip daddr @blocked4 jump refuse');
  rule('from_guest', 'ip6 daddr @blocked6 jump refuse');
  // The mark carries the session to the reply direction, whatever address the guest uses.
  rule('from_guest', 'ct mark set ether saddr map @mark_of');
  rule('from_guest', 'meta priority set ct mark map @cls_of');
  rule('from_guest', 'counter name ether saddr map @up_ctr accept');
  rule('from_guest', 'jump refuse');
  rule('to_guest', 'meta priority set ct mark map @cls_of');
  rule('to_guest', 'counter name ct mark map @dn_ctr accept');
  rule('to_guest', 'ct state established,related ip saddr @walled4 accept');
  rule('to_guest', 'ct state established,related ip6 saddr @walled6 accept');
  // A connection of an ended session: reset the far end so it lets go; the guest gets its reset on its next packet.
  rule('to_guest', 'ct mark != 0 meta l4proto tcp reject with tcp reset');
  rule('to_guest', 'drop');
  // A reset or an ICMP error at once, so a phone falls back to its portal probe quickly.
  rule('refuse', 'meta l4proto tcp reject with tcp reset');
  rule('refuse', 'reject with icmpx type admin-prohibited');
  rule('prerouting', `iifname != ${g} return`);
  rule('prerouting', 'ether saddr @auth_mac return');
  rule('prerouting', 'ip daddr @walled4 return');
  rule('prerouting', 'ip6 daddr @walled6 return');
  rule('prerouting', 'meta l4proto { tcp, udp } th dport 53 redirect to :53');
  rule('prerouting', `tcp dport 80 redirect to :${p.portalPort}`);
  rule('input', `iifname != ${g} return`);
  rule('input', 'ct state established,related accept');
  rule('input', 'meta l4proto { icmp, ipv6-icmp } accept');
  rule('input', 'udp dport { 53, 67, 547 } accept');
  rule('input', `tcp dport { 53, ${p.portalPort} } accept`);
  rule('input', 'jump refuse');
  lines.push(`add rule ${BRIDGE} forward iifname @guest_ports drop`);
  return lines.join('\n') + '\n';
}

export function renderAddCounters(sessionId: number): string[] {
  return [`add counter ${INET} ${counterName(sessionId, 'up')}`, `add counter ${INET} ${counterName(sessionId, 'dn')}`];
}

export function renderGrantElements(g: Grant): string[] {
  return [
    `add element ${INET} up_ctr { ${g.mac} : ${q(counterName(g.sessionId, 'up'))} }`,
    `add element ${INET} dn_ctr { ${g.sessionId} : ${q(counterName(g.sessionId, 'dn'))} }`,
    `add element ${INET} cls_of { ${g.sessionId} : 1:${g.classMinor.toString(16)} }`,
    `add element ${INET} mark_of { ${g.mac} : ${g.sessionId} }`,
    `add element ${INET} auth_mac { ${g.mac} }`,
  ];
}

export function renderRevokeElements(g: Grant): string[] {
  return [
    `delete element ${INET} auth_mac { ${g.mac} }`,
    `delete element ${INET} mark_of { ${g.mac} }`,
    `delete element ${INET} up_ctr { ${g.mac} }`,
    `delete element ${INET} dn_ctr { ${g.sessionId} }`,
    `delete element ${INET} cls_of { ${g.sessionId} }`,
  ];
}

export function renderDropCounters(sessionId: number): string[] {
  return [`delete counter ${INET} ${counterName(sessionId, 'up')}`, `delete counter ${INET} ${counterName(sessionId, 'dn')}`];
}

export function renderGuestPorts(ports: readonly string[]): string {
  const lines = [`flush set ${BRIDGE} guest_ports`];
  if (ports.length) lines.push(`add element ${BRIDGE} guest_ports${elements(ports.map(q))}`);
  return lines.join('\n') + '\n';
}

export const renderRemove = (): string => `delete table ${INET}\ndelete table ${BRIDGE}\n`;
