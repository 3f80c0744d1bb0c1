import type { GatePolicy, Grant } from './backend.js';
import { ruleComment, STATIC_CHAINS, TAG, type Family } from './iptables-names.js';

/**
 * Renders iptables-restore input: pure text, so tests compare exact batches and
 * the agent applies each family's batch as one `iptables-restore --noflush`.
 */

export type Table = 'mangle' | 'nat' | 'filter';
export type Batch = Record<Table, string[]>;
export const emptyBatch = (): Batch => ({ mangle: [], nat: [], filter: [] });

/** A grant with the generation its rules carry (see ruleComment). */
export interface GenGrant extends Grant { gen: number }
/** A revoked session whose counters wait to be read: only its MAC and generation are needed. */
export interface Ended { sessionId: number; mac: string; gen: number }

export interface Rule { table: Table; chain: string; args: string }

const c = (id: number, kind: Parameters<typeof ruleComment>[1], gen: number) => `-m comment --comment "${ruleComment(id, kind, gen)}"`;

/** The rules that let one guest through; counters live on `up` and `dn`. */
export function grantRules(g: GenGrant): Record<'mark' | 'cls' | 'auth' | 'up' | 'dn', Rule> {
  const { sessionId: id, mac, gen } = g;
  return {
    // The conntrack mark carries the session to the replies, whatever address (v6 privacy ones too) the guest uses.
    mark: { table: 'mangle', chain: 'qlink_mac', args: `-m mac --mac-source ${mac} ${c(id, 'mark', gen)} -j CONNMARK --set-mark ${id}` },
    // skb priority = HTB class, so tc needs no filters.
    cls: { table: 'mangle', chain: 'qlink_cls', args: `-m connmark --mark ${id} ${c(id, 'cls', gen)} -j CLASSIFY --set-class 1:${g.classMinor.toString(16)}` },
    auth: { table: 'nat', chain: 'qlink_pre', args: `-m mac --mac-source ${mac} ${c(id, 'auth', gen)} -j RETURN` },
    up: { table: 'filter', chain: 'qlink_up', args: `-m mac --mac-source ${mac} ${c(id, 'up', gen)} -j ACCEPT` },
    dn: { table: 'filter', chain: 'qlink_dn', args: `-m connmark --mark ${id} ${c(id, 'dn', gen)} -j ACCEPT` },
  };
}

/** Ahead of the session's counting rules: its packets are refused, open connections cut, nothing more counted. */
export function endedRules(e: Ended): Rule[] {
  return [
    { table: 'filter', chain: 'qlink_ended_up', args: `-m mac --mac-source ${e.mac} ${c(e.sessionId, 'rv', e.gen)} -j qlink_refuse` },
    { table: 'filter', chain: 'qlink_ended_dn', args: `-m connmark --mark ${e.sessionId} ${c(e.sessionId, 'rv', e.gen)} -j qlink_cut` },
  ];
}

export const append = (r: Rule) => `-A ${r.chain} ${r.args}`;
export const remove = (r: Rule) => `-D ${r.chain} ${r.args}`;
/** nat's session rules go on top: they must come before the redirects. */
export const add = (r: Rule) => (r.table === 'nat' ? `-I ${r.chain} 1 ${r.args}` : append(r));

export function push(b: Batch, r: Rule, line: (r: Rule) => string): void {
  b[r.table].push(line(r));
}

/**
 * Declares (and so flushes) the chains without counters and fills them: the
 * policy, the active sessions' marks, classes and portal exemptions, the ended
 * sessions' stops. The counting chains are left to the reconcile.
 */
export function renderStatic(fam: Family, p: GatePolicy, active: readonly GenGrant[], ended: readonly Ended[]): Batch {
  const b = emptyBatch();
  for (const t of ['mangle', 'nat', 'filter'] as const) for (const ch of STATIC_CHAINS[t]) b[t].push(`:${ch} - [0:0]`);
  const g = p.guestInterface;
  const walled = fam === 4 ? p.walled4 : p.walled6;
  const blocked = fam === 4 ? p.blocked4 : p.blocked6;
  const f = (s: string) => b.filter.push(s);
  f(`-A qlink_fwd -i ${g} -j qlink_from_guest`);
  f(`-A qlink_fwd -o ${g} -j qlink_to_guest`);
  // Guests never reach each other through the router (the bridge ports are isolated for the rest).
  f(`-A qlink_from_guest -o ${g} -j DROP`);
  for (const a of walled) f(`-A qlink_from_guest -d ${a} -j ACCEPT`);
  for (const a of blocked) f(`-A qlink_from_guest -d ${a} -j qlink_refuse`);
  f('-A qlink_from_guest -j qlink_ended_up');
  f('-A qlink_from_guest -j qlink_up');
  f('-A qlink_from_guest -j qlink_refuse');
  f('-A qlink_to_guest -j qlink_ended_dn');
  f('-A qlink_to_guest -j qlink_dn');
  f('-A qlink_to_guest -j qlink_cut');
  for (const a of walled) f(`-A qlink_cut -s ${a} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`);
  // A connection of an ended session: reset the far end so it lets go; the guest gets its reset on its next packet.
  f('-A qlink_cut -p tcp -m connmark ! --mark 0 -j REJECT --reject-with tcp-reset');
  f('-A qlink_cut -j DROP');
  // A reset or an ICMP error at once, so a phone falls back to its portal probe quickly.
  f('-A qlink_refuse -p tcp -j REJECT --reject-with tcp-reset');
  f(`-A qlink_refuse -j REJECT --reject-with ${fam === 4 ? 'icmp-admin-prohibited' : 'icmp6-adm-prohibited'}`);
  f(`-A qlink_in ! -i ${g} -j RETURN`);
  f('-A qlink_in -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT');
  f(`-A qlink_in -p ${fam === 4 ? 'icmp' : 'ipv6-icmp'} -j ACCEPT`);
  f('-A qlink_in -p udp -m multiport --dports 53,67,547 -j ACCEPT');
  f(`-A qlink_in -p tcp -m multiport --dports 53,${p.portalPort} -j ACCEPT`);
  f('-A qlink_in -j qlink_refuse');
  for (const e of ended) for (const r of endedRules(e)) push(b, r, append);

  const n = (s: string) => b.nat.push(s);
  for (const gr of active) push(b, grantRules(gr).auth, append);
  n(`-A qlink_pre ! -i ${g} -j RETURN`);
  for (const a of walled) n(`-A qlink_pre -d ${a} -j RETURN`);
  n('-A qlink_pre -p udp --dport 53 -j REDIRECT --to-ports 53');
  n('-A qlink_pre -p tcp --dport 53 -j REDIRECT --to-ports 53');
  n(`-A qlink_pre -p tcp --dport 80 -j REDIRECT --to-ports ${p.portalPort}`);

  b.mangle.push(`-A qlink_mark -i ${g} -j qlink_mac`, `-A qlink_mark -i ${g} -j qlink_cls`, `-A qlink_mark -o ${g} -j qlink_cls`);
  for (const gr of active) {
    const r = grantRules(gr);
    push(b, r.mark, append);
    push(b, r.cls, append);
  }
  return b;
}

export const hookLine = (chain: string, target: string) => `-I ${chain} 1 -m comment --comment ${TAG} -j ${target}`;

/** One restore input; tables without lines are left out. */
export function renderBatch(b: Batch): string {
  let out = '';
  for (const t of ['mangle', 'nat', 'filter'] as const) if (b[t].length) out += `*${t}\n${b[t].join('\n')}\nCOMMIT\n`;
  return out;
}
