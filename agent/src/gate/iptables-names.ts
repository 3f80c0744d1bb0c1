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
  { table: 'mangle', chain: 'FORWARD', target: 'qlink_mark' },
];

/** Chains refilled from scratch on every ensure(): no counters live in them. */
export const STATIC_CHAINS = {
  filter: ['qlink_fwd', 'qlink_from_guest', 'qlink_to_guest', 'qlink_refuse', 'qlink_cut', 'qlink_in', 'qlink_ended_up', 'qlink_ended_dn'],
  nat: ['qlink_pre'],
  mangle: ['qlink_mark', 'qlink_mac', 'qlink_cls'],
} as const;

/** The counting chains: their rules are diffed, never flushed, so counters survive a reconcile. */
export const COUNTER_CHAINS = ['qlink_up', 'qlink_dn'] as const;

/** What a session's rule does; `rv` stops an ended session whose counters are still unread. */
export type RuleKind = 'up' | 'dn' | 'mark' | 'cls' | 'auth' | 'rv';

/** `gen` tells a rule recreated under the same session apart: it is the counter's handle for metering. */
export const ruleComment = (sessionId: number, kind: RuleKind, gen: number): string =>
  kind === 'rv' ? `${TAG} s${sessionId}_rv` : `${TAG} s${sessionId}_${kind} g${gen}`;

const COMMENT_RE = /--comment "?qlink s(\d+)_(up|dn|mark|cls|auth|rv)(?: g(\d+))?"?/;

export function parseRuleComment(line: string): { sessionId: number; kind: RuleKind; gen: number } | null {
  const m = COMMENT_RE.exec(line);
  return m ? { sessionId: Number(m[1]), kind: m[2] as RuleKind, gen: Number(m[3] ?? 0) } : null;
}
