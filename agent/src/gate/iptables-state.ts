import { PREFIX, parseRuleComment, type RuleKind } from './iptables-names.js';
import type { Table } from './iptables-script.js';

/** One session rule as `iptables-save -c` shows it. */
export interface SessionRule {
  table: Table;
  kind: RuleKind;
  gen: number;
  /** The rule as `-A chain …`: with -A turned into -D it deletes exactly this rule. */
  line: string;
  mac: string | null;
  bytes: number;
  packets: number;
}

/** What one family (iptables or ip6tables) holds of the agent's. */
export interface FamilyState {
  chains: Record<Table, Set<string>>;
  /** Jumps from built-in chains into the agent's chains. */
  hooks: Array<{ table: Table; chain: string; target: string; line: string }>;
  sessions: Map<number, SessionRule[]>;
  /** Rules in qlink_from_guest: none means someone flushed the agent's chains. */
  guardRules: number;
}

const TABLES = new Set<string>(['mangle', 'nat', 'filter']);
const RULE_RE = /^(?:\[(\d+):(\d+)\] )?(-A (\S+) .*)$/;
const MAC_RE = /--mac-source (\S+)/;
const JUMP_RE = / -j (\S+)/;

/** Parses `iptables-save [-c]` output; tables other than the three it uses are skipped. */
export function parseSave(text: string): FamilyState {
  const st: FamilyState = { chains: { mangle: new Set(), nat: new Set(), filter: new Set() }, hooks: [], sessions: new Map(), guardRules: 0 };
  let table: Table | null = null;
  for (const raw of text.split('\n')) {
    if (raw.startsWith('*')) {
      const t = raw.slice(1).trim();
      table = TABLES.has(t) ? (t as Table) : null;
      continue;
    }
    if (!table) continue;
    if (raw.startsWith(':')) {
      const name = raw.slice(1).split(' ')[0]!;
      if (name.startsWith(PREFIX)) st.chains[table].add(name);
      continue;
    }
    const m = RULE_RE.exec(raw);
    if (!m) continue;
    const [, packets, bytes, line, chain] = m as unknown as [string, string | undefined, string | undefined, string, string];
    if (!chain.startsWith(PREFIX)) {
      const target = JUMP_RE.exec(line)?.[1];
      if (target?.startsWith(PREFIX)) st.hooks.push({ table, chain, target, line });
      continue;
    }
    if (chain === 'qlink_from_guest') st.guardRules++;
    const tag = parseRuleComment(line);
    if (!tag) continue;
    const rules = st.sessions.get(tag.sessionId) ?? [];
    rules.push({
      table,
      kind: tag.kind,
      gen: tag.gen,
      line,
      mac: MAC_RE.exec(line)?.[1]?.toLowerCase() ?? null,
      bytes: Number(bytes ?? 0),
      packets: Number(packets ?? 0),
    });
    st.sessions.set(tag.sessionId, rules);
  }
  return st;
}

export const rulesOf = (st: FamilyState, id: number, kind: RuleKind): SessionRule[] => (st.sessions.get(id) ?? []).filter((r) => r.kind === kind);

/**
 * The generation of a session's counters when both families hold exactly one
 * `up` and one `dn` rule of the same generation; null otherwise (not counted
 * until ensure() recreates them, so a half-gone pair never meters wrongly).
 */
export function counterGen(fams: readonly FamilyState[], id: number): number | null {
  let gen: number | null = null;
  for (const st of fams) {
    for (const kind of ['up', 'dn'] as const) {
      const r = rulesOf(st, id, kind);
      if (r.length !== 1) return null;
      if (gen === null) gen = r[0]!.gen;
      else if (r[0]!.gen !== gen) return null;
    }
  }
  return gen;
}
