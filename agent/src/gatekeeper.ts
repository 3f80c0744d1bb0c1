import type { GateBackend, GatePolicy, Grant, SessionCounters } from './gate/backend.js';
import { GateConflictError } from './gate/backend.js';
import type { Logger } from './log.js';
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
}

/**
 * Sessions and the kernel gate kept in step: the store says who should be let
 * through, the backend makes the kernel agree, and counters flow back into the
 * store. Every operation runs one at a time.
 */
export class Gatekeeper {
  #queue: Promise<unknown> = Promise.resolve();
  #polls = 0;
  readonly health: GateHealth = { restores: 0, lastRestoreAt: null, lastLossWindowMs: null, lastPollAt: null, lastPollMs: null };

  constructor(
    private readonly backend: GateBackend,
    private readonly sessions: SessionStore,
    private policy: GatePolicy,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    private readonly opts: { shaper?: Shaper; idleTimeoutMs?: number | null } = {},
  ) {}

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** What the kernel should hold, from one read of the open sessions. */
  #wanted(): { grants: Grant[]; ending: number[]; classes: ShapedClass[] } {
    const open = this.sessions.open();
    const active = open.filter((s) => s.state === 'active');
    return {
      grants: active.map((s) => ({ sessionId: s.id, mac: s.mac, classMinor: s.classMinor })),
      ending: open.filter((s) => s.state === 'ending').map((s) => s.id),
      classes: active.map(shapedClass),
    };
  }

  /** Builds or adopts the kernel gate from the store; then meters and settles what a crash left half done. */
  start(): Promise<void> {
    return this.#serial(async () => {
      await this.#ensure('start');
      await this.#poll();
    });
  }

  setPolicy(policy: GatePolicy): Promise<void> {
    return this.#serial(async () => {
      this.policy = policy;
      await this.#ensure('policy');
    });
  }

  async #ensure(why: string): Promise<boolean> {
    const { grants, ending, classes } = this.#wanted();
    const res = await this.backend.ensure(this.policy, grants, ending);
    if (res.created) this.sessions.resetCursors();
    await this.opts.shaper?.ensure(classes);
    this.log.info({ why, ...res, sessions: grants.length }, res.created ? 'gate built' : 'gate adopted');
    return res.created;
  }

  auth(mac: string, limits: SessionLimits): Promise<Session> {
    return this.#serial(async () => {
      const open = this.sessions.openFor(mac);
      if (open?.state === 'active') return open;
      if (open) await this.#end(open.id);
      const s = this.sessions.start(mac, limits, this.clock());
      // The queue first, so the guest's first packet already meets its rate.
      if (s.downBps !== null || s.upBps !== null) await this.opts.shaper?.set(shapedClass(s));
      try {
        await this.backend.grant({ sessionId: s.id, mac, classMinor: s.classMinor });
      } catch (e) {
        if (!(e instanceof GateConflictError)) throw e;
        this.log.warn({ err: e.message }, 'kernel gate differs from the store; reconciling');
        await this.#ensure('conflict');
      }
      this.log.info({ mac, session: s.id }, 'guest authorised');
      return s;
    });
  }

  /** Changes a guest's rates live; null lifts the limit that way. */
  setRates(mac: string, downBps: number | null, upBps: number | null): Promise<Session | undefined> {
    return this.#serial(async () => {
      const open = this.sessions.openFor(mac);
      if (open?.state !== 'active') return undefined;
      this.sessions.setRates(open.id, downBps, upBps, this.clock());
      const s = this.sessions.get(open.id)!;
      await this.opts.shaper?.set(shapedClass(s));
      this.log.info({ mac, session: s.id, downBps, upBps }, 'guest rates changed');
      return s;
    });
  }

  deauth(mac: string, reason: string): Promise<Session | undefined> {
    return this.#serial(async () => {
      const open = this.sessions.openFor(mac);
      if (!open) return undefined;
      this.sessions.markEnding(open.id, reason, this.clock());
      await this.#end(open.id);
      this.log.info({ mac, session: open.id, reason }, 'guest deauthorised');
      return this.sessions.get(open.id);
    });
  }

  /** Revoke, meter the last bytes, close in the store, then drop the counters: in that order, so no byte is lost. */
  async #end(id: number): Promise<void> {
    const s = this.sessions.get(id);
    if (!s || s.state === 'ended') return;
    try {
      await this.backend.revoke({ sessionId: id, mac: s.mac, classMinor: s.classMinor });
    } catch (e) {
      if (!(e instanceof GateConflictError)) throw e;
      await this.#ensure('conflict');
    }
    const readings = await this.backend.readCounters();
    if (readings) this.sessions.applyReadings(readings, this.clock());
    this.sessions.finish(id, this.clock());
    if (s.downBps !== null || s.upBps !== null) {
      await this.opts.shaper?.drop(s.classMinor).catch((e) => this.log.warn({ err: (e as Error).message, session: id }, 'class clean-up failed'));
    }
    await this.backend.dropCounters([id]).catch((e) => this.log.warn({ err: (e as Error).message, session: id }, 'counter clean-up failed'));
  }

  poll(): Promise<void> {
    return this.#serial(() => this.#poll());
  }

  async #poll(): Promise<void> {
    const started = this.clock();
    let readings: Map<number, SessionCounters> | null = await this.backend.readCounters();
    if (!readings) {
      const lastGood = this.health.lastPollAt;
      await this.#ensure('gate missing');
      this.health.restores++;
      this.health.lastRestoreAt = this.clock();
      this.health.lastLossWindowMs = lastGood === null ? null : this.health.lastRestoreAt - lastGood;
      this.sessions.event(this.clock(), 'gate-restored', null, null, { lossWindowMs: this.health.lastLossWindowMs });
      this.log.warn({ lossWindowMs: this.health.lastLossWindowMs }, 'gate was removed from the kernel; rebuilt');
      readings = (await this.backend.readCounters()) ?? new Map();
    }
    // Rules flushed with the table left standing leave counters readable: look for that every few polls.
    if (++this.#polls % RULE_CHECK_EVERY === 0 && !(await this.backend.rulesIntact())) {
      this.log.warn('gate rules were flushed; rebuilding');
      this.sessions.applyReadings(readings, this.clock());
      await this.#ensure('rules missing');
      this.health.restores++;
      this.health.lastRestoreAt = this.clock();
    }
    const now = this.clock();
    this.sessions.applyReadings(readings, now);
    for (const s of this.sessions.limitViews()) {
      if (s.state === 'ending') await this.#end(s.id);
      else {
        const reason = limitReached(s, now, this.opts.idleTimeoutMs ?? null);
        if (reason) {
          this.sessions.markEnding(s.id, reason, now);
          await this.#end(s.id);
          this.log.info({ mac: s.mac, session: s.id, reason }, 'session ended by its limit');
        }
      }
    }
    this.health.lastPollAt = now;
    this.health.lastPollMs = this.clock() - started;
  }

  setGuestPorts(ports: readonly string[]): Promise<void> {
    return this.#serial(() => this.backend.setGuestPorts(ports));
  }
}

export function limitReached(s: LimitView, now: number, idleMs: number | null): 'time' | 'quota' | 'idle' | null {
  if (s.endsAt !== null && now >= s.endsAt) return 'time';
  if (s.quotaBytes !== null && s.bytesDown + s.bytesUp >= s.quotaBytes) return 'quota';
  if (idleMs !== null && now - s.lastActiveAt >= idleMs) return 'idle';
  return null;
}

const shapedClass = (s: Session): ShapedClass => ({ minor: s.classMinor, downBps: s.downBps, upBps: s.upBps });
