import type { Binding, EnsureResult, GateBackend, GatePolicy, Grant, SessionCounters, SpoofCounts } from '../../agent/src/gate/backend.js';
import { GateConflictError } from '../../agent/src/gate/backend.js';

/** An in-memory gate: what the kernel would hold, with traffic the test injects. */
export class MemoryGate implements GateBackend {
  readonly kind = 'nftables' as const;
  /** Zero-rating is the kernel's (test/zero-rated.nft.netns.test.ts): not modelled here. */
  readonly zeroRating = false;
  present = false;
  grants = new Map<string, number>();
  counters = new Map<number, { down: number; up: number; handle: number }>();
  ports: string[] = [];
  bindings: Binding[] = [];
  #handle = 0;

  async ensure(_p: GatePolicy, grants: readonly Grant[], keep: readonly number[]): Promise<EnsureResult> {
    const created = !this.present;
    this.present = true;
    this.rulesFlushed = false;
    let revoked = 0;
    let granted = 0;
    for (const [mac, id] of this.grants)
      if (!grants.some((g) => g.mac === mac && g.sessionId === id)) {
        this.grants.delete(mac);
        revoked++;
      }
    const keepIds = new Set([...keep, ...grants.map((g) => g.sessionId)]);
    for (const id of this.counters.keys()) if (!keepIds.has(id)) this.counters.delete(id);
    for (const g of grants) {
      if (this.grants.get(g.mac) === g.sessionId) continue;
      this.grants.set(g.mac, g.sessionId);
      if (!this.counters.has(g.sessionId)) this.counters.set(g.sessionId, { down: 0, up: 0, handle: ++this.#handle });
      granted++;
    }
    return { created, granted, revoked };
  }

  async remove() {
    this.present = false;
    this.grants.clear();
    this.counters.clear();
  }

  async grant(g: Grant) {
    if (!this.present || this.grants.has(g.mac) || this.counters.has(g.sessionId)) throw new GateConflictError('exists');
    this.grants.set(g.mac, g.sessionId);
    this.counters.set(g.sessionId, { down: 0, up: 0, handle: ++this.#handle });
  }

  async revoke(g: Grant) {
    if (this.grants.get(g.mac) !== g.sessionId) throw new GateConflictError('missing');
    this.grants.delete(g.mac);
  }

  async dropCounters(ids: readonly number[]) {
    for (const id of ids) this.counters.delete(id);
  }

  async readCounters(): Promise<Map<number, SessionCounters> | null> {
    if (!this.present) return null;
    const out = new Map<number, SessionCounters>();
    for (const [id, c] of this.counters) {
      out.set(id, { down: { handle: c.handle, bytes: c.down, packets: 0 }, up: { handle: c.handle + 1e6, bytes: c.up, packets: 0 } });
    }
    return out;
  }

  rulesFlushed = false;

  async rulesIntact() {
    return this.present && !this.rulesFlushed;
  }

  async setGuestPorts(ports: readonly string[]) {
    this.ports = [...ports];
  }

  async setBindings(bindings: readonly Binding[]) {
    this.bindings = [...bindings];
  }

  spoofed(): SpoofCounts | null {
    return null;
  }

  /** Traffic as the kernel would count it: only a granted guest's bytes land on its counters. */
  traffic(mac: string, down: number, up: number): boolean {
    const id = this.grants.get(mac);
    const c = id === undefined ? undefined : this.counters.get(id);
    if (!this.present || !c) return false;
    c.down += down;
    c.up += up;
    return true;
  }

  /** `nft flush ruleset`: everything gone, counters included. */
  flush() {
    this.present = false;
    this.grants.clear();
    this.counters.clear();
  }
}
