import type { GatePolicy, Grant } from './backend.js';
import { BUCKETS, bucketChain, ENDED_MARK, ruleComment, STATIC_CHAINS, TAG, type Family } from './iptables-names.js';

/**
 * Renders iptables-restore input: pure text, so tests compare exact batches and
 * the agent applies each family's batch with `iptables-restore --noflush`.
 *
 * iptables commits one table at a time, so every change is laid out to flip
 * in a single table's COMMIT: a session passes only while its MAC rule in
 * mangle marks its flows, and its counting rules in filter match nothing
 * without that mark. A grant writes filter first (inert), then mangle (the
 * flip); a revoke is one mangle COMMIT (the MAC rule goes, the session's
 * flows are re-marked as ended). Cut anywhere, each family is either as it
 * was or as asked, never between.
 */

export type Table = 'mangle' | 'nat' | 'filter';
export type Batch = Record<Table, string[]>;
export const emptyBatch = (): Batch => ({ mangle: [], nat: [], filter: [] });

/** A grant with the generation its rules carry (see ruleComment). */
export interface GenGrant extends Grant {
  gen: number;
}
/** A revoked session whose counters wait to be read: only its MAC and generation are needed. */
export interface Ended {
  sessionId: number;
  mac: string;
  gen: number;
}

export interface Rule {
  table: Table;
  chain: string;
  args: string;
}

const c = (id: number, kind: Parameters<typeof ruleComment>[1], gen: number) => `-m comment --comment "${ruleComment(id, kind, gen)}"`;

/** The rules that let one guest through; counters live on `up` and `dn`, each behind the rule that queues it. */
export function grantRules(g: GenGrant): Record<'mark' | 'ucls' | 'up' | 'dcls' | 'dn', Rule> {
  const { sessionId: id, mac, gen } = g;
  const cls = `-j CLASSIFY --set-class 1:${g.classMinor.toString(16)}`;
  return {
    // The conntrack mark carries the session to every packet of the flow and its replies, whatever address (v6 privacy ones too) the guest uses.
    mark: { table: 'mangle', chain: 'qlink_mac', args: `-m mac --mac-source ${mac} ${c(id, 'mark', gen)} -j CONNMARK --set-mark ${id}` },
    // skb priority = HTB class, so tc needs no filters.
    ucls: { table: 'filter', chain: bucketChain('up', id), args: `-m connmark --mark ${id} ${c(id, 'cls', gen)} ${cls}` },
    up: { table: 'filter', chain: bucketChain('up', id), args: `-m connmark --mark ${id} ${c(id, 'up', gen)} -j ACCEPT` },
    dcls: { table: 'filter', chain: bucketChain('dn', id), args: `-m connmark --mark ${id} ${c(id, 'cls', gen)} ${cls}` },
    dn: { table: 'filter', chain: bucketChain('dn', id), args: `-m connmark --mark ${id} ${c(id, 'dn', gen)} -j ACCEPT` },
  };
}

/** Ahead of everything else: the session's flows take the ended mark, so nothing counts or passes them. */
export function endedRules(e: Ended): Rule[] {
  return [
    { table: 'mangle', chain: 'qlink_ended', args: `-m connmark --mark ${e.sessionId} ${c(e.sessionId, 'rv', e.gen)} -j CONNMARK --set-mark ${ENDED_MARK}` },
  ];
}

export const append = (r: Rule) => `-A ${r.chain} ${r.args}`;
export const remove = (r: Rule) => `-D ${r.chain} ${r.args}`;

export function push(b: Batch, r: Rule, line: (r: Rule) => string): void {
  b[r.table].push(line(r));
}

/**
 * Declares (and so flushes) the chains without counters and fills them: the
 * policy, the dispatch into the counting buckets, the active sessions' marks
 * and the ended sessions' stops. The counting chains are left to the reconcile.
 */
export function renderStatic(fam: Family, p: GatePolicy, active: readonly GenGrant[], ended: readonly Ended[]): Batch {
  const b = emptyBatch();
  for (const t of ['mangle', 'nat', 'filter'] as const) for (const ch of STATIC_CHAINS[t]) b[t].push(`:${ch} - [0:0]`);
  const g = p.guestInterface;
  const walled = fam === 4 ? p.walled4 : p.walled6;
  const blocked = fam === 4 ? [...p.blocked4, ...(p.own4 ?? [])] : [...p.blocked6, ...(p.own6 ?? [])];
  const f = (s: string) => b.filter.push(s);
  f(`-A qlink_fwd -i ${g} -j qlink_from_guest`);
  f(`-A qlink_fwd -o ${g} -j qlink_to_guest`);
  // Guests never reach each other through the router (the bridge ports are isolated for the rest).
  f(`-A qlink_from_guest -o ${g} -j DROP`);
  for (const a of walled) f(`-A qlink_from_guest -d ${a} -j ACCEPT`);
  for (const a of blocked) f(`-A qlink_from_guest -d ${a} -j qlink_refuse`);
  f('-A qlink_from_guest -j qlink_up');
  f('-A qlink_from_guest -j qlink_refuse');
  f('-A qlink_to_guest -j qlink_dn');
  f('-A qlink_to_guest -j qlink_cut');
  for (const dir of ['up', 'dn'] as const) {
    f(`-A qlink_${dir} -m connmark --mark 0 -j RETURN`);
    for (let i = 0; i < BUCKETS; i++) f(`-A qlink_${dir} -m connmark --mark 0x${i.toString(16)}/0x${(BUCKETS - 1).toString(16)} -j ${bucketChain(dir, i)}`);
  }
  for (const a of walled) f(`-A qlink_cut -s ${a} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`);
  // A connection of an ended session: reset the far end so it lets go; the guest gets its reset on its next packet.
  f('-A qlink_cut -p tcp -m connmark ! --mark 0 -j REJECT --reject-with tcp-reset');
  f('-A qlink_cut -j DROP');
  // A reset or an ICMP error at once, so a phone falls back to its portal probe quickly.
  f('-A qlink_refuse -p tcp -j REJECT --reject-with tcp-reset');
  f(`-A qlink_refuse -j REJECT --reject-with ${fam === 4 ? 'icmp-admin-prohibited' : 'icmp6-adm-prohibited'}`);
  const dns = p.heldDnsPort ?? 53;
  // The portal is the guest network's: from any other interface (the owner's LAN, the WAN) its port is refused.
  f('-A qlink_in -i lo -j RETURN');
  f(`-A qlink_in ! -i ${g} -p tcp --dport ${p.portalPort} -j qlink_refuse`);
  f(`-A qlink_in ! -i ${g} -j RETURN`);
  f('-A qlink_in -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT');
  f(`-A qlink_in -p ${fam === 4 ? 'icmp' : 'ipv6-icmp'} -j ACCEPT`);
  f(`-A qlink_in -p udp -m multiport --dports ${[...new Set([53, 67, 547, dns])].join(',')} -j ACCEPT`);
  f(`-A qlink_in -p tcp -m multiport --dports ${[...new Set([53, dns, p.portalPort])].join(',')} -j ACCEPT`);
  f('-A qlink_in -j qlink_refuse');

  const n = (s: string) => b.nat.push(s);
  n(`-A qlink_pre ! -i ${g} -j RETURN`);
  // A flow with a session was marked in mangle just before: not redirected.
  n('-A qlink_pre -m connmark ! --mark 0 -j RETURN');
  // Before the garden's exemption, so no garden host serves a held guest as a resolver.
  n(`-A qlink_pre -p udp --dport 53 -j REDIRECT --to-ports ${dns}`);
  n(`-A qlink_pre -p tcp --dport 53 -j REDIRECT --to-ports ${dns}`);
  for (const a of walled) n(`-A qlink_pre -d ${a} -j RETURN`);
  n(`-A qlink_pre -p tcp --dport 80 -j REDIRECT --to-ports ${p.portalPort}`);

  // Ended sessions first (their flows take the ended mark), then unmarked flows get their MAC's session, once per flow.
  b.mangle.push('-A qlink_mark -j qlink_ended', `-A qlink_mark -i ${g} -m connmark --mark 0 -j qlink_mac`);
  for (const e of ended) for (const r of endedRules(e)) push(b, r, append);
  for (const gr of active) push(b, grantRules(gr).mark, append);
  return b;
}

export const hookLine = (chain: string, target: string) => `-I ${chain} 1 -m comment --comment ${TAG} -j ${target}`;

/** One restore input, its tables committed in `order`; tables without lines are left out. */
export function renderBatch(b: Batch, order: readonly Table[] = ['filter', 'mangle', 'nat']): string {
  let out = '';
  for (const t of order) if (b[t].length) out += `*${t}\n${b[t].join('\n')}\nCOMMIT\n`;
  return out;
}
