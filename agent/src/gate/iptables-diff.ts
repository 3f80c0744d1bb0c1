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

/**
 * Takes both families from what they hold to exactly `grants`. A session keeps
 * its counting rules (and so its bytes) only when both families hold them
 * intact with one generation; anything else is recreated under `gen` in both,
 * so the two halves of a reading always start together.
 */
export function planEnsure(states: ReadonlyMap<Family, FamilyState | null>, policy: GatePolicy, grants: readonly Grant[], keep: readonly number[], gen: number): EnsurePlan {
  const fams = FAMILIES.map((f) => states.get(f) ?? emptyState());
  const created = fams.some((s) => !s.chains.filter.has('qlink_up'));
  const macOk = (id: number, mac: string) => fams.every((s) => rulesOf(s, id, 'up').every((r) => r.mac === mac));
  const active: GenGrant[] = [];
  const fresh = new Set<number>();
  for (const g of grants) {
    const kept = counterGen(fams, g.sessionId);
    if (kept !== null && macOk(g.sessionId, g.mac)) active.push({ ...g, gen: kept });
    else { active.push({ ...g, gen }); fresh.add(g.sessionId); }
  }
  const grantedIds = new Set(grants.map((g) => g.sessionId));
  const grantedMacs = new Set(grants.map((g) => g.mac));
  const ended: Ended[] = [];
  for (const id of new Set(keep)) {
    if (grantedIds.has(id)) continue;
    const kept = counterGen(fams, id);
    const mac = rulesOf(fams[0]!, id, 'up')[0]?.mac;
    // A MAC let through again must not meet its old session's stop rule or counters.
    if (kept !== null && mac && macOk(id, mac) && !grantedMacs.has(mac)) ended.push({ sessionId: id, mac, gen: kept });
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
      for (const r of rules) if ((r.kind === 'up' || r.kind === 'dn') && !keptIds.has(id)) b.filter.push(r.line.replace(/^-A /, '-D '));
    }
    for (const a of active) {
      if (!fresh.has(a.sessionId)) continue;
      const r = grantRules(a);
      push(b, r.up, append);
      push(b, r.dn, append);
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
