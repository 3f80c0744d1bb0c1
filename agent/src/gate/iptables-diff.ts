import type { GatePolicy, Grant } from './backend.js';
import { COUNTER_CHAINS, FAMILIES, HOOKS, STATIC_CHAINS, type Family } from './iptables-names.js';
import { append, grantRules, hookLine, push, renderBatch, renderStatic, type Ended, type GenGrant } from './iptables-script.js';
import { counterGen, rulesOf, type FamilyState } from './iptables-state.js';

export interface EnsurePlan {
  scripts: Map<Family, string>;
  created: boolean;
  granted: number;
  revoked: number;
  active: GenGrant[];
  ended: Ended[];
}

const emptyState = (): FamilyState => ({ chains: { mangle: new Set(), nat: new Set(), filter: new Set() }, hooks: [], sessions: new Map(), guardRules: 0 });

/** Kinds of a session's rules in the counting chains: diffed, never flushed. */
const COUNTING = new Set(['up', 'dn', 'cls']);

/**
 * Takes both families from what they hold to exactly `grants`. A session keeps
 * its counting rules (and so its bytes) only when both families hold them
 * intact with one generation and its MAC rule names the same MAC; anything
 * else is recreated under `gen` in both, so the two halves of a reading always
 * start together.
 */
export function planEnsure(
  states: ReadonlyMap<Family, FamilyState | null>,
  policy: GatePolicy,
  grants: readonly Grant[],
  keep: readonly number[],
  gen: number,
): EnsurePlan {
  const fams = FAMILIES.map((f) => states.get(f) ?? emptyState());
  const created = fams.some((s) => !s.chains.filter.has(COUNTER_CHAINS[0]!));
  const macOf = (id: number) => (fams.every((s) => rulesOf(s, id, 'mark').length === 1) ? rulesOf(fams[0]!, id, 'mark')[0]!.mac : null);
  // iptables-save writes the class as 0001:0010.
  const classOf = (line: string) =>
    /--set-class ([0-9a-f]+):([0-9a-f]+)/i
      .exec(line)
      ?.slice(1)
      .map((h) => parseInt(h, 16));
  const classesOk = (g: Grant) =>
    fams.every((s) => {
      const cls = rulesOf(s, g.sessionId, 'cls');
      return (
        cls.length === 2 &&
        cls.every((r) => {
          const c = classOf(r.line);
          return c?.[0] === 1 && c[1] === g.classMinor;
        })
      );
    });
  const active: GenGrant[] = [];
  const fresh = new Set<number>();
  for (const g of grants) {
    const kept = counterGen(fams, g.sessionId);
    // A session ended by a crash mid-revoke has no MAC rule but intact counters: let through again under them.
    const mac = macOf(g.sessionId);
    if (kept !== null && (mac === null || mac === g.mac) && classesOk(g)) active.push({ ...g, gen: kept });
    else {
      active.push({ ...g, gen });
      fresh.add(g.sessionId);
    }
  }
  const grantedIds = new Set(grants.map((g) => g.sessionId));
  const ended: Ended[] = [];
  for (const id of new Set(keep)) {
    if (grantedIds.has(id)) continue;
    const kept = counterGen(fams, id);
    if (kept !== null) ended.push({ sessionId: id, mac: macOf(id) ?? '', gen: kept });
  }
  const keptIds = new Set([...active.filter((a) => !fresh.has(a.sessionId)).map((a) => a.sessionId), ...ended.map((e) => e.sessionId)]);
  let revoked = 0;
  const wasActive = new Set(fams.flatMap((s) => [...s.sessions].filter(([, rs]) => rs.some((r) => r.kind === 'mark')).map(([id]) => id)));
  for (const id of wasActive) if (!grantedIds.has(id) || fresh.has(id)) revoked++;

  const scripts = new Map<Family, string>();
  FAMILIES.forEach((fam, i) => {
    const st = fams[i]!;
    const b = renderStatic(fam, policy, active, ended);
    const decl = COUNTER_CHAINS.filter((ch) => !st.chains.filter.has(ch)).map((ch) => `:${ch} - [0:0]`);
    b.filter.unshift(...decl);
    for (const [id, rules] of st.sessions) {
      for (const r of rules) if (r.table === 'filter' && COUNTING.has(r.kind) && !keptIds.has(id)) b.filter.push(r.line.replace(/^-A /, '-D '));
    }
    for (const a of active) {
      if (!fresh.has(a.sessionId)) continue;
      const r = grantRules(a);
      for (const rule of [r.ucls, r.up, r.dcls, r.dn]) push(b, rule, append);
    }
    for (const h of HOOKS) {
      const found = st.hooks.filter((x) => x.table === h.table && x.chain === h.chain && x.target === h.target);
      if (!found.length) b[h.table].push(hookLine(h.chain, h.target));
      for (const extra of found.slice(1)) b[h.table].push(extra.line.replace(/^-A /, '-D '));
    }
    for (const x of st.hooks) {
      if (!HOOKS.some((h) => h.table === x.table && h.chain === x.chain && h.target === x.target)) b[x.table].push(x.line.replace(/^-A /, '-D '));
    }
    // Chains of another layout (an older agent): emptied, then deleted once nothing jumps to them.
    for (const t of ['mangle', 'nat', 'filter'] as const) {
      const ours = new Set<string>([...STATIC_CHAINS[t], ...(t === 'filter' ? COUNTER_CHAINS : [])]);
      const stale = [...st.chains[t]].filter((ch) => !ours.has(ch));
      b[t].push(...stale.map((ch) => `-F ${ch}`), ...stale.map((ch) => `-X ${ch}`));
    }
    scripts.set(fam, renderBatch(b));
  });
  return { scripts, created, granted: fresh.size, revoked, active, ended };
}
