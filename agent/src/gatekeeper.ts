import type { Binding, GateBackend, GatePolicy, Grant, SessionCounters, SpoofCounts } from './gate/backend.js';
import { GateConflictError } from './gate/backend.js';
import { GateLocks } from './gate/locks.js';
import { guestTag, type Logger } from './log.js';
import type { ShapedClass, Shaper } from './shaper/shaper.js';
import type { LimitView, Session, SessionLimits, SessionStore } from './store/sessions.js';

const RULE_CHECK_EVERY = 3;

export interface GateHealth {
  restores: number;
  lastRestoreAt: number | null;
  /** Time between the last good counter read and the rebuild: the only window whose bytes can be lost. */
  lastLossWindowMs: number | null;
  lastPollAt: number | null;
  lastPollMs: number | null;
  /** The agent's own CPU time (user + system) in the last poll, counter read included, in ms. */
  lastPollCpuMs: number | null;
  /** Packets the gate dropped for a source that was not the sender's own, since the gate was built. */
  spoofed: SpoofCounts | null;
  /** The last polls, oldest first: wall and own CPU in ms (what scripts/bench-gate reads). */
  recentPolls: Array<{ at: number; ms: number; cpuMs: number }>;
}

const RECENT_POLLS = 64;

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Sessions and the kernel gate kept in step: the store says who should be let
 * through, the backend makes the kernel agree, and counters flow back into the
 * store. Operations on one guest run one at a time, different guests' side by
 * side, and a poll takes no lock while it reads the counters, so a guest's
 * auth never waits for a poll (gate/locks.ts).
 */
export class Gatekeeper {
  readonly #locks = new GateLocks();
  #polls = 0;
  /** Counter readings are numbered as they are asked for; one older than the newest applied is dropped, never applied. */
  #asked = 0;
  #applied = 0;
  /** A reading of changes only is good only after a whole one was applied: after a rebuild, a dropped or failed one, the next is whole. */
  #needWhole = true;
  readonly health: GateHealth = {
    restores: 0,
    lastRestoreAt: null,
    lastLossWindowMs: null,
    lastPollAt: null,
    lastPollMs: null,
    lastPollCpuMs: null,
    spoofed: null,
    recentPolls: [],
  };

  constructor(
    private readonly backend: GateBackend,
    private readonly sessions: SessionStore,
    private policy: GatePolicy,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    private readonly opts: {
      shaper?: Shaper;
      idleTimeoutMs?: number | null;
      /** A plan's zero-rated zone (gate/zero-rated.ts), if it has one. */
      zoneOf?: (plan: string) => number | null;
    } = {},
  ) {}

  /** Whether the backend lets zero-rated destinations through apart (and zero-only sessions at all). */
  get zeroRating(): boolean {
    return this.backend.zeroRating;
  }

  /** What the gate holds for a session: its zone, if the backend enforces zones, and whether it is charged. */
  #grantOf(s: Session): Grant {
    const zone = this.backend.zeroRating && s.plan !== null ? (this.opts.zoneOf?.(s.plan) ?? null) : null;
    return { sessionId: s.id, mac: s.mac, classMinor: s.classMinor, ...(zone ? { zone } : {}), ...(s.zeroOnly ? { charged: false } : {}) };
  }

  /** What the kernel should hold, from one read of the open sessions. */
  #wanted(): { grants: Grant[]; ending: number[]; classes: ShapedClass[] } {
    const open = this.sessions.open();
    const active = open.filter((s) => s.state === 'active');
    return {
      grants: active.map((s) => this.#grantOf(s)),
      ending: open.filter((s) => s.state === 'ending').map((s) => s.id),
      classes: active.map(shapedClass),
    };
  }

  /** Builds or adopts the kernel gate from the store; then meters and settles what a crash left half done. */
  async start(): Promise<void> {
    await this.#locks.exclusive(() => this.#ensure('start'));
    await this.poll();
  }

  setPolicy(policy: GatePolicy): Promise<void> {
    return this.#locks.exclusive(async () => {
      this.policy = policy;
      await this.#ensure('policy');
    });
  }

  /** Must run exclusive: it rewrites what every keyed operation relies on. */
  async #ensure(why: string): Promise<boolean> {
    // A reading asked for before the rebuild may hold counters the rebuild replaced: never apply it.
    this.#applied = ++this.#asked;
    this.#needWhole = true;
    const { grants, ending, classes } = this.#wanted();
    const res = await this.backend.ensure(this.policy, grants, ending);
    if (res.created) this.sessions.resetCursors();
    await this.opts.shaper?.ensure(classes);
    this.log.info({ why, ...res, sessions: grants.length }, res.created ? 'gate built' : 'gate adopted');
    return res.created;
  }

  #repair(why: string): Promise<boolean> {
    this.log.warn({ why }, 'kernel gate differs from the store; reconciling');
    return this.#locks.exclusive(() => this.#ensure(why));
  }

  /**
   * Reads the counters and meters the reading, unless a newer one was applied
   * meanwhile. A poll asks for the counters that moved since the last
   * reading; `whole` (a session's end, which must see its last bytes) for all.
   */
  async #read(whole = false): Promise<Map<number, SessionCounters> | null> {
    const ticket = ++this.#asked;
    const changes = !whole && !this.#needWhole;
    this.#needWhole = false;
    let readings: Map<number, SessionCounters> | null;
    try {
      readings = await this.backend.readCounters({ changes });
      if (readings && ticket > this.#applied) {
        this.sessions.applyReadings(readings, this.clock());
        this.#applied = ticket;
      } else if (readings) {
        this.#needWhole = true; // dropped: the reader has moved past what the store holds
      }
    } catch (e) {
      this.#needWhole = true;
      throw e;
    }
    this.health.spoofed = this.backend.spoofed();
    return readings;
  }

  async auth(mac: string, limits: SessionLimits): Promise<Session> {
    const r = await this.#locks.key(mac, async () => {
      const open = this.sessions.openFor(mac);
      if (open?.state === 'active') return { session: open, conflict: false };
      const ended = open ? await this.#end([open.id]) : false;
      const s = this.sessions.start(mac, limits, this.clock());
      // The queue first, so the guest's first packet already meets its rate.
      if (s.downBps !== null || s.upBps !== null) await this.opts.shaper?.set(shapedClass(s));
      try {
        await this.backend.grant(this.#grantOf(s));
      } catch (e) {
        if (!(e instanceof GateConflictError)) throw e;
        return { session: s, conflict: true };
      }
      this.log.info({ guest: guestTag(mac), session: s.id }, 'guest authorised');
      return { session: s, conflict: ended };
    });
    // The repair grants everyone the store holds, this guest included.
    if (r.conflict) await this.#repair('conflict');
    return r.session;
  }

  /** Changes a guest's rates live; null lifts the limit that way. */
  setRates(mac: string, downBps: number | null, upBps: number | null): Promise<Session | undefined> {
    return this.#locks.key(mac, async () => {
      const open = this.sessions.openFor(mac);
      if (open?.state !== 'active') return undefined;
      this.sessions.setRates(open.id, downBps, upBps, this.clock());
      const s = this.sessions.get(open.id)!;
      await this.opts.shaper?.set(shapedClass(s));
      this.log.info({ guest: guestTag(mac), session: s.id, downBps, upBps }, 'guest rates changed');
      return s;
    });
  }

  async deauth(mac: string, reason: string): Promise<Session | undefined> {
    const r = await this.#locks.key(mac, async () => {
      const open = this.sessions.openFor(mac);
      if (!open) return { id: null, conflict: false };
      this.sessions.markEnding(open.id, reason, this.clock());
      const conflict = await this.#end([open.id]);
      this.log.info({ guest: guestTag(mac), session: open.id, reason }, 'guest deauthorised');
      return { id: open.id, conflict };
    });
    if (r.conflict) await this.#repair('conflict');
    return r.id === null ? undefined : this.sessions.get(r.id);
  }

  /**
   * Revoke, meter the last bytes, close in the store, then drop the counters:
   * in that order, so no byte is lost. Ends several sessions with one reading.
   * Runs under the sessions' keys; true when the kernel disagreed (the caller
   * repairs once it holds no key).
   */
  async #end(ids: readonly number[]): Promise<boolean> {
    let conflict = false;
    const ending: Session[] = [];
    for (const id of ids) {
      const s = this.sessions.get(id);
      if (!s || s.state === 'ended') continue;
      ending.push(s);
      try {
        await this.backend.revoke(this.#grantOf(s));
      } catch (e) {
        if (!(e instanceof GateConflictError)) throw e;
        conflict = true;
      }
    }
    if (!ending.length) return conflict;
    await this.#read(true);
    for (const s of ending) this.sessions.finish(s.id, this.clock());
    for (const s of ending) {
      if (s.downBps !== null || s.upBps !== null) {
        await this.opts.shaper?.drop(s.classMinor).catch((e) => this.log.warn({ err: (e as Error).message, session: s.id }, 'class clean-up failed'));
      }
    }
    await this.backend
      .dropCounters(ending.map((s) => s.id))
      .catch((e) => this.log.warn({ err: (e as Error).message, sessions: ending.length }, 'counter clean-up failed'));
    return conflict;
  }

  /** Reads the counters (no lock held meanwhile), meters them, ends the sessions whose limits ran out. */
  async poll(): Promise<void> {
    const started = this.clock();
    const cpu0 = cpuMs();
    let readings = await this.#read();
    if (!readings) {
      await this.#locks.exclusive(async () => {
        const lastGood = this.health.lastPollAt;
        await this.#ensure('gate missing');
        this.health.restores++;
        this.health.lastRestoreAt = this.clock();
        this.health.lastLossWindowMs = lastGood === null ? null : this.health.lastRestoreAt - lastGood;
        this.sessions.event(this.clock(), 'gate-restored', null, null, { lossWindowMs: this.health.lastLossWindowMs });
        this.log.warn({ lossWindowMs: this.health.lastLossWindowMs }, 'gate was removed from the kernel; rebuilt');
      });
      readings = (await this.#read()) ?? new Map();
    }
    // Rules flushed with the table left standing leave counters readable: look for that every few polls.
    if (++this.#polls % RULE_CHECK_EVERY === 0 && !(await this.backend.rulesIntact())) {
      this.log.warn('gate rules were flushed; rebuilding');
      await this.#locks.exclusive(() => this.#ensure('rules missing'));
      this.health.restores++;
      this.health.lastRestoreAt = this.clock();
    }
    const now = this.clock();
    const due: LimitView[] = [];
    for (const s of this.sessions.limitViews({ now, idleMs: this.opts.idleTimeoutMs ?? null })) {
      if (s.state === 'ending') {
        due.push(s);
        continue;
      }
      const reason = limitReached(s, now, this.opts.idleTimeoutMs ?? null);
      if (!reason) continue;
      this.sessions.markEnding(s.id, reason, now);
      this.log.info({ guest: guestTag(s.mac), session: s.id, reason }, 'session ended by its limit');
      due.push(s);
    }
    if (due.length) {
      const conflict = await this.#locks.keys(
        due.map((s) => s.mac),
        () => this.#end(due.map((s) => s.id)),
      );
      if (conflict) await this.#repair('conflict');
    }
    this.health.lastPollAt = now;
    this.health.lastPollMs = this.clock() - started;
    this.health.lastPollCpuMs = Math.round((cpuMs() - cpu0) * 100) / 100;
    this.health.recentPolls.push({ at: now, ms: this.health.lastPollMs, cpuMs: this.health.lastPollCpuMs });
    if (this.health.recentPolls.length > RECENT_POLLS) this.health.recentPolls.shift();
  }

  setGuestPorts(ports: readonly string[]): Promise<void> {
    return this.#locks.key('~ports', () => this.backend.setGuestPorts(ports));
  }

  /** The (MAC, IPv4) pairs of the router's leases: the only sources the gate forwards and lets talk to the router. */
  setBindings(bindings: readonly Binding[]): Promise<void> {
    return this.#locks.key('~bindings', () => this.backend.setBindings(bindings));
  }
}

export function limitReached(s: LimitView, now: number, idleMs: number | null): 'time' | 'quota' | 'idle' | null {
  if (s.endsAt !== null && now >= s.endsAt) return 'time';
  if (s.quotaBytes !== null && s.bytesDown + s.bytesUp >= s.quotaBytes) return 'quota';
  if (idleMs !== null && now - s.lastActiveAt >= idleMs) return 'idle';
  return null;
}

const shapedClass = (s: Session): ShapedClass => ({ minor: s.classMinor, downBps: s.downBps, upBps: s.upBps });
