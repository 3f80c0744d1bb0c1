/**
 * Names of everything the iptables backend creates. Chains carry the `qlink_`
 * prefix and rules in built-in chains or of a session carry a `qlink…` comment,
 * so clean-up finds its own rules without saved state.
 */
export type Family = 4 | 6;
export const FAMILIES: readonly Family[] = [4, 6];

/** Which iptables binaries: `plain` is whatever `iptables` is (OpenWrt ships it without a suffix). */
export type IptablesVariant = 'legacy' | 'nft' | 'plain';

export function binaries(variant: IptablesVariant, fam: Family): { restore: string; save: string } {
  const base = fam === 4 ? 'iptables' : 'ip6tables';
  const name = variant === 'plain' ? base : `${base}-${variant}`;
  return { restore: `${name}-restore`, save: `${name}-save` };
}

export const TAG = 'qlink';
export const PREFIX = 'qlink_';

/** Jumps from built-in chains into the agent's own: one each, found again by TAG. */
export const HOOKS: ReadonlyArray<{ table: 'filter' | 'nat' | 'mangle'; chain: string; target: string }> = [
  { table: 'filter', chain: 'FORWARD', target: 'qlink_fwd' },
  { table: 'filter', chain: 'INPUT', target: 'qlink_in' },
  { table: 'nat', chain: 'PREROUTING', target: 'qlink_pre' },
  // Ahead of nat's PREROUTING: a flow's session is known before its first packet is redirected or not.
  { table: 'mangle', chain: 'PREROUTING', target: 'qlink_mark' },
];

/**
 * A session's counting rules sit in one of BUCKETS chains per direction,
 * picked by the low bits of its id (the connection mark), so a packet walks a
 * sixteenth of the sessions instead of all of them.
 */
export const BUCKETS = 16;
export const bucketChain = (dir: 'up' | 'dn', sessionId: number): string => `qlink_${dir}_${(sessionId % BUCKETS).toString(16)}`;
const BUCKET_CHAINS = (['up', 'dn'] as const).flatMap((d) => Array.from({ length: BUCKETS }, (_, i) => bucketChain(d, i)));

/** Chains refilled from scratch on every ensure(): no counters live in them. */
export const STATIC_CHAINS = {
  filter: ['qlink_fwd', 'qlink_from_guest', 'qlink_to_guest', 'qlink_up', 'qlink_dn', 'qlink_refuse', 'qlink_cut', 'qlink_in'],
  nat: ['qlink_pre'],
  mangle: ['qlink_mark', 'qlink_mac', 'qlink_ended'],
} as const;

/** The counting chains: their rules are diffed, never flushed, so counters survive a reconcile. */
export const COUNTER_CHAINS: readonly string[] = BUCKET_CHAINS;

/** The mark a flow of an ended session is given: not a session's, so nothing passes or counts it, and its far end gets a reset. */
export const ENDED_MARK = 0xffffffff;

/** What a session's rule does; `rv` stops an ended session whose counters are still unread. */
export type RuleKind = 'up' | 'dn' | 'mark' | 'cls' | 'rv';

/** `gen` tells a rule recreated under the same session apart: it is the counter's handle for metering. */
export const ruleComment = (sessionId: number, kind: RuleKind, gen: number): string =>
  kind === 'rv' ? `${TAG} s${sessionId}_rv` : `${TAG} s${sessionId}_${kind} g${gen}`;

const COMMENT_RE = /--comment "?qlink s(\d+)_(up|dn|mark|cls|rv)(?: g(\d+))?"?/;

export function parseRuleComment(line: string): { sessionId: number; kind: RuleKind; gen: number } | null {
  const m = COMMENT_RE.exec(line);
  return m ? { sessionId: Number(m[1]), kind: m[2] as RuleKind, gen: Number(m[3] ?? 0) } : null;
}
