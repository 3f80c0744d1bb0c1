import { CommandError, type CommandRunner } from '../kernel/run.js';
import type { EnsureResult, GateBackend, GatePolicy, Grant, SessionCounters } from './backend.js';
import { GateConflictError } from './backend.js';
import { planEnsure } from './iptables-diff.js';
import { binaries, COUNTER_CHAINS, FAMILIES, HOOKS, type Family, type IptablesVariant } from './iptables-names.js';
import { PortIsolation, type PortFlags } from './iptables-ports.js';
import { add, append, emptyBatch, endedRules, grantRules, push, remove, renderBatch, type Batch, type Table } from './iptables-script.js';
import { counterGen, parseSave, rulesOf, type FamilyState } from './iptables-state.js';
import { renderRemoveAll } from './iptables-remove.js';

interface Known { mac: string; gen: number; classMinor: number; ended: boolean }

/**
 * The gate as iptables rules in the agent's own `qlink_*` chains, IPv4 and
 * IPv6. Every change is one `iptables-restore --noflush` per family; counters
 * are rule counters, read with one `iptables-save -c` per family.
 */
export class IptablesGate implements GateBackend {
  readonly kind = 'iptables' as const;
  /** Session rules as last written: revoke and dropCounters delete by exact rule text. */
  readonly #known = new Map<number, Known>();
  readonly #ports: PortIsolation;
  #lastGen = 0;

  constructor(private readonly runner: CommandRunner, readonly variant: IptablesVariant = 'plain',
    private readonly opts: { ports?: PortFlags; clock?: () => number } = {}) {
    this.#ports = new PortIsolation(opts.ports);
  }

  /** Unique across restarts (time-based), so metering never takes a recreated rule for the old one. */
  #gen(): number {
    this.#lastGen = Math.max((this.opts.clock ?? Date.now)(), this.#lastGen + 1);
    return this.#lastGen;
  }

  async #save(fam: Family, counters: boolean, table?: Table): Promise<FamilyState> {
    const argv = [binaries(this.variant, fam).save, ...(counters ? ['-c'] : []), ...(table ? ['-t', table] : [])];
    return parseSave(await this.runner.run(argv));
  }

  #saveBoth(counters: boolean, table?: Table): Promise<FamilyState[]> {
    return Promise.all(FAMILIES.map((f) => this.#save(f, counters, table)));
  }

  /** One restore per family, one after the other: legacy iptables serialises on one lock anyway. */
  async apply(scripts: ReadonlyMap<Family, string>): Promise<void> {
    for (const fam of FAMILIES) {
      const text = scripts.get(fam);
      if (text) await this.runner.run([binaries(this.variant, fam).restore, '-w', '--noflush'], text);
    }
  }

  async #fastPath(b: Batch): Promise<void> {
    const text = renderBatch(b);
    try {
      await this.apply(new Map(FAMILIES.map((f) => [f, text])));
    } catch (e) {
      if (e instanceof CommandError) throw new GateConflictError(e.message);
      throw e;
    }
  }

  async ensure(policy: GatePolicy, grants: readonly Grant[], keepCounters: readonly number[]): Promise<EnsureResult> {
    const states = await this.#saveBoth(false);
    for (const st of states) for (const rules of st.sessions.values()) for (const r of rules) this.#lastGen = Math.max(this.#lastGen, r.gen);
    let plan = planEnsure(new Map(FAMILIES.map((f, i) => [f, states[i]!])), policy, grants, keepCounters, this.#gen());
    try {
      await this.apply(plan.scripts);
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      // Rules of an unexpected shape cannot be amended in place: rebuild from nothing.
      await this.remove().catch(() => {});
      plan = planEnsure(new Map(), policy, grants, [], this.#gen());
      await this.apply(plan.scripts);
    }
    this.#known.clear();
    for (const a of plan.active) this.#known.set(a.sessionId, { mac: a.mac, gen: a.gen, classMinor: a.classMinor, ended: false });
    for (const e of plan.ended) this.#known.set(e.sessionId, { mac: e.mac, gen: e.gen, classMinor: 0, ended: true });
    return { created: plan.created, granted: plan.granted, revoked: plan.revoked };
  }

  async remove(): Promise<void> {
    const states = await this.#saveBoth(false);
    await this.apply(new Map(FAMILIES.map((f, i) => [f, renderRemoveAll(states[i]!)])));
    this.#known.clear();
    this.#ports.clear();
  }

  async grant(g: Grant): Promise<void> {
    const b = emptyBatch();
    // Leftovers of this MAC's earlier session (a failed dropCounters) would count or stop the new one.
    for (const [id, k] of this.#known) if (k.mac === g.mac && id !== g.sessionId) this.#dropLines(b, id, k);
    const gen = this.#gen();
    const r = grantRules({ ...g, gen });
    for (const rule of [r.mark, r.cls, r.auth, r.up, r.dn]) push(b, rule, add);
    await this.#fastPath(b);
    for (const [id, k] of this.#known) if (k.mac === g.mac) this.#known.delete(id);
    this.#known.set(g.sessionId, { mac: g.mac, gen, classMinor: g.classMinor, ended: false });
  }

  async revoke(g: Grant): Promise<void> {
    const k = this.#known.get(g.sessionId);
    if (!k || k.ended || k.mac !== g.mac) throw new GateConflictError(`session ${g.sessionId} is not let through here`);
    const r = grantRules({ ...g, classMinor: k.classMinor, gen: k.gen });
    const b = emptyBatch();
    for (const rule of [r.mark, r.cls, r.auth]) push(b, rule, remove);
    for (const rule of endedRules({ sessionId: g.sessionId, mac: k.mac, gen: k.gen })) push(b, rule, append);
    await this.#fastPath(b);
    k.ended = true;
  }

  #dropLines(b: Batch, id: number, k: Known): void {
    const r = grantRules({ sessionId: id, mac: k.mac, classMinor: k.classMinor, gen: k.gen });
    if (k.ended) for (const rule of endedRules({ sessionId: id, mac: k.mac, gen: k.gen })) push(b, rule, remove);
    else for (const rule of [r.mark, r.cls, r.auth]) push(b, rule, remove);
    push(b, r.up, remove);
    push(b, r.dn, remove);
  }

  async dropCounters(sessionIds: readonly number[]): Promise<void> {
    const b = emptyBatch();
    for (const id of sessionIds) {
      const k = this.#known.get(id);
      if (k) this.#dropLines(b, id, k);
    }
    if (!b.filter.length) return;
    await this.#fastPath(b);
    for (const id of sessionIds) this.#known.delete(id);
  }

  async readCounters(): Promise<Map<number, SessionCounters> | null> {
    let states: FamilyState[];
    try {
      states = await this.#saveBoth(true, 'filter');
    } catch (e) {
      if (e instanceof CommandError) return null;
      throw e;
    }
    if (states.some((st) => COUNTER_CHAINS.some((ch) => !st.chains.filter.has(ch)))) return null;
    const out = new Map<number, SessionCounters>();
    const ids = new Set(states.flatMap((st) => [...st.sessions.keys()]));
    for (const id of ids) {
      const gen = counterGen(states, id);
      if (gen === null) continue;
      const sum = (kind: 'up' | 'dn') => states.reduce((acc, st) => {
        const r = rulesOf(st, id, kind)[0]!;
        return { handle: gen, bytes: acc.bytes + r.bytes, packets: acc.packets + r.packets };
      }, { handle: gen, bytes: 0, packets: 0 });
      out.set(id, { up: sum('up'), down: sum('dn') });
    }
    return out;
  }

  async rulesIntact(): Promise<boolean> {
    const states = await this.#saveBoth(false);
    for (const st of states) {
      if (st.guardRules === 0) return false;
      for (const h of HOOKS) if (st.hooks.filter((x) => x.table === h.table && x.chain === h.chain && x.target === h.target).length !== 1) return false;
    }
    const ids = new Set(states.flatMap((st) => [...st.sessions.keys()]));
    for (const id of ids) {
      if (counterGen(states, id) === null) return false;
      const active = states.some((st) => rulesOf(st, id, 'mark').length > 0);
      const want = active ? (['mark', 'cls', 'auth'] as const) : (['rv'] as const);
      for (const st of states) for (const kind of want) if (rulesOf(st, id, kind).length !== (kind === 'rv' ? 2 : 1)) return false;
    }
    return true;
  }

  async setGuestPorts(ports: readonly string[]): Promise<void> {
    this.#ports.apply([...ports].sort());
  }
}
