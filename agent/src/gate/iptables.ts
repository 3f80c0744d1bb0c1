import { CommandError, type CommandRunner } from '../kernel/run.js';
import type { Binding, EnsureResult, GateBackend, GatePolicy, Grant, SessionCounters, SpoofCounts } from './backend.js';
import { GateConflictError } from './backend.js';
import { planEnsure } from './iptables-diff.js';
import { binaries, COUNTER_CHAINS, FAMILIES, HOOKS, type Family, type IptablesVariant } from './iptables-names.js';
import { PortIsolation, type PortFlags } from './iptables-ports.js';
import { append, emptyBatch, endedRules, grantRules, push, remove, renderBatch, type Batch, type Table } from './iptables-script.js';
import { counterGen, parseSave, rulesOf, type FamilyState } from './iptables-state.js';
import { renderRemoveAll } from './iptables-remove.js';

interface Known {
  mac: string;
  gen: number;
  classMinor: number;
  ended: boolean;
}

/**
 * The gate as iptables rules in the agent's own `qlink_*` chains, IPv4 and
 * IPv6. Every change is one `iptables-restore --noflush` input per family,
 * laid out so it takes effect in one table's COMMIT (iptables-script.ts);
 * counters are rule counters, read with one `iptables-save -c` per family.
 * Bindings of MAC to IP are the nftables backend's: x_tables has no set of
 * pairs to look up per packet, only a rule per pair to walk.
 */
export class IptablesGate implements GateBackend {
  readonly kind = 'iptables' as const;
  /** No zero-rating here (it would need ipset sets the resolver fills): a zoned grant is charged like any other. */
  readonly zeroRating = false;
  /** Session rules as last written: revoke and dropCounters delete by exact rule text. */
  readonly #known = new Map<number, Known>();
  readonly #ports: PortIsolation;
  #lastGen = 0;

  constructor(
    private readonly runner: CommandRunner,
    readonly variant: IptablesVariant = 'plain',
    private readonly opts: { ports?: PortFlags; clock?: () => number } = {},
  ) {
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

  async #fastPath(b: Batch, order?: readonly Table[]): Promise<void> {
    const text = renderBatch(b, order);
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
    for (const rule of [r.ucls, r.up, r.dcls, r.dn, r.mark]) push(b, rule, append);
    // filter first: its rules match nothing until mangle's MAC rule marks the guest's flows.
    await this.#fastPath(b, ['filter', 'mangle']);
    for (const [id, k] of this.#known) if (k.mac === g.mac) this.#known.delete(id);
    this.#known.set(g.sessionId, { mac: g.mac, gen, classMinor: g.classMinor, ended: false });
  }

  async revoke(g: Grant): Promise<void> {
    const k = this.#known.get(g.sessionId);
    if (!k || k.ended || k.mac !== g.mac) throw new GateConflictError(`session ${g.sessionId} is not let through here`);
    const r = grantRules({ ...g, classMinor: k.classMinor, gen: k.gen });
    const b = emptyBatch();
    push(b, r.mark, remove);
    for (const rule of endedRules({ sessionId: g.sessionId, mac: k.mac, gen: k.gen })) push(b, rule, append);
    // One mangle COMMIT: no new flow is marked, and the open ones take the ended mark.
    await this.#fastPath(b, ['mangle']);
    k.ended = true;
  }

  #dropLines(b: Batch, id: number, k: Known): void {
    const r = grantRules({ sessionId: id, mac: k.mac, classMinor: k.classMinor, gen: k.gen });
    if (k.ended) for (const rule of endedRules({ sessionId: id, mac: k.mac, gen: k.gen })) push(b, rule, remove);
    else push(b, r.mark, remove);
    for (const rule of [r.ucls, r.up, r.dcls, r.dn]) push(b, rule, remove);
  }

  async dropCounters(sessionIds: readonly number[]): Promise<void> {
    const b = emptyBatch();
    for (const id of sessionIds) {
      const k = this.#known.get(id);
      if (k) this.#dropLines(b, id, k);
    }
    if (!b.filter.length) return;
    // mangle first: once no flow carries the session's mark, its counting rules can go.
    await this.#fastPath(b, ['mangle', 'filter']);
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
      const sum = (kind: 'up' | 'dn') =>
        states.reduce(
          (acc, st) => {
            const r = rulesOf(st, id, kind)[0]!;
            return { handle: gen, bytes: acc.bytes + r.bytes, packets: acc.packets + r.packets };
          },
          { handle: gen, bytes: 0, packets: 0 },
        );
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
      const want: Array<['mark' | 'cls' | 'rv', number]> = active
        ? [
            ['mark', 1],
            ['cls', 2],
          ]
        : [
            ['rv', 1],
            ['cls', 2],
          ];
      for (const st of states) for (const [kind, n] of want) if (rulesOf(st, id, kind).length !== n) return false;
    }
    return true;
  }

  async setGuestPorts(ports: readonly string[]): Promise<void> {
    this.#ports.apply([...ports].sort());
  }

  /** Not enforced on iptables (see the class comment); kept so a switch of backend has them. */
  async setBindings(_bindings: readonly Binding[]): Promise<void> {}

  spoofed(): SpoofCounts | null {
    return null;
  }
}
