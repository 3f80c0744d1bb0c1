import type { SessionCounters } from '../gate/backend.js';
import { advanceCursor } from '../meter.js';
import type { Db } from './db.js';

export type SessionState = 'active' | 'ending' | 'ended';

export interface Session {
  id: number;
  mac: string;
  state: SessionState;
  startedAt: number;
  endsAt: number | null;
  quotaBytes: number | null;
  bytesDown: number;
  bytesUp: number;
  endedAt: number | null;
  endReason: string | null;
  plan: string | null;
  downBps: number | null;
  upBps: number | null;
  /** The session's queue on each side (tc class 1:<minor>), kept for its life. */
  classMinor: number;
  /** When the session last moved a byte (its start before that). */
  lastActiveAt: number;
}

interface Row {
  id: number; mac: string; state: SessionState; started_at: number; ends_at: number | null; quota_bytes: number | null;
  bytes_down: number; bytes_up: number; dn_handle: number | null; dn_seen: number; up_handle: number | null; up_seen: number;
  ended_at: number | null; end_reason: string | null;
  plan: string | null; down_bps: number | null; up_bps: number | null; class_minor: number | null; last_active_at: number | null;
}

const toSession = (r: Row): Session => ({
  id: r.id, mac: r.mac, state: r.state, startedAt: r.started_at, endsAt: r.ends_at, quotaBytes: r.quota_bytes,
  bytesDown: r.bytes_down, bytesUp: r.bytes_up, endedAt: r.ended_at, endReason: r.end_reason,
  plan: r.plan, downBps: r.down_bps, upBps: r.up_bps, classMinor: r.class_minor ?? 0, lastActiveAt: r.last_active_at ?? r.started_at,
});

export interface SessionLimits {
  endsAt: number | null;
  quotaBytes: number | null;
  plan?: string | null;
  downBps?: number | null;
  upBps?: number | null;
}

type MeterRow = Pick<Row, 'id' | 'dn_handle' | 'dn_seen' | 'up_handle' | 'up_seen' | 'started_at'> & { usage_from: number | null };
type LimitRow = Pick<Row, 'id' | 'mac' | 'state' | 'ends_at' | 'quota_bytes' | 'bytes_down' | 'bytes_up' | 'last_active_at' | 'started_at'>;

export type LimitView = Pick<Session, 'id' | 'mac' | 'state' | 'endsAt' | 'quotaBytes' | 'bytesDown' | 'bytesUp' | 'lastActiveAt'>;

/** Minors below this are the shaper's own classes. */
const FIRST_MINOR = 0x10;
const LAST_MINOR = 0xffff;

/** Turns metered totals into usage records; called inside the transaction that moved them. */
export interface UsageHook {
  /** `openFrom`, when the caller has it, is where the session's open interval starts: lets the hook skip a read. */
  cut(sessionId: number, now: number, final: boolean, openFrom?: number): void;
}

/** Sessions and their metered totals; every change is one SQLite transaction. */
export class SessionStore {
  readonly #byId;
  readonly #open;
  readonly #meterRows;
  readonly #limitRows;
  readonly #openByMac;
  readonly #meter;
  readonly #event;

  constructor(private readonly db: Db, private readonly usage?: UsageHook) {
    this.#byId = db.prepare<[number], Row>('SELECT * FROM sessions WHERE id = ?');
    this.#open = db.prepare<[], Row>("SELECT * FROM sessions WHERE state != 'ended' ORDER BY id");
    // Narrow reads for the poll: decoding whole rows was most of a poll's cost at 1,000 sessions.
    this.#meterRows = db.prepare<[], MeterRow>(
      "SELECT id, dn_handle, dn_seen, up_handle, up_seen, started_at, usage_from FROM sessions WHERE state != 'ended'");
    this.#limitRows = db.prepare<[], LimitRow>(
      "SELECT id, mac, state, ends_at, quota_bytes, bytes_down, bytes_up, last_active_at, started_at FROM sessions WHERE state != 'ended' ORDER BY id");
    this.#openByMac = db.prepare<[string], Row>("SELECT * FROM sessions WHERE mac = ? AND state != 'ended'");
    this.#meter = db.prepare(`UPDATE sessions SET bytes_down = bytes_down + ?, bytes_up = bytes_up + ?, dn_handle = ?, dn_seen = ?, up_handle = ?, up_seen = ?, metered_at = ?,
      last_active_at = CASE WHEN ? > 0 THEN ? ELSE last_active_at END WHERE id = ?`);
    this.#event = db.prepare('INSERT INTO events (at, kind, mac, session_id, detail) VALUES (?, ?, ?, ?, ?)');
  }

  get(id: number): Session | undefined {
    const r = this.#byId.get(id);
    return r && toSession(r);
  }

  /** Active and ending sessions, oldest first. */
  open(): Session[] {
    return this.#open.all().map(toSession);
  }

  openFor(mac: string): Session | undefined {
    const r = this.#openByMac.get(mac);
    return r && toSession(r);
  }

  start(mac: string, limits: SessionLimits, now: number): Session {
    return this.db.transaction(() => {
      const info = this.db.prepare(`INSERT INTO sessions (mac, state, started_at, ends_at, quota_bytes, plan, down_bps, up_bps, class_minor, last_active_at)
        VALUES (?, 'active', ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(mac, now, limits.endsAt, limits.quotaBytes, limits.plan ?? null, limits.downBps ?? null, limits.upBps ?? null, this.#freeMinor(), now);
      const id = Number(info.lastInsertRowid);
      this.event(now, 'session-start', mac, id, limits);
      return this.get(id)!;
    })();
  }

  /** The lowest queue number no open session holds. */
  #freeMinor(): number {
    const used = this.db.prepare<[], { m: number }>("SELECT class_minor AS m FROM sessions WHERE state != 'ended' AND class_minor IS NOT NULL ORDER BY class_minor").all();
    let next = FIRST_MINOR;
    for (const { m } of used) {
      if (m > next) break;
      if (m === next) next++;
    }
    if (next > LAST_MINOR) throw new Error('no free shaping class: too many open sessions');
    return next;
  }

  setRates(id: number, downBps: number | null, upBps: number | null, now: number): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE sessions SET down_bps = ?, up_bps = ? WHERE id = ?').run(downBps, upBps, id);
      this.event(now, 'session-rates', null, id, { downBps, upBps });
    })();
  }

  /** Records the intent to end before the kernel is touched, so a crash in between still ends it. */
  markEnding(id: number, reason: string, now: number): void {
    this.db.transaction(() => {
      this.db.prepare("UPDATE sessions SET state = 'ending', end_reason = ? WHERE id = ? AND state = 'active'").run(reason, id);
      this.event(now, 'session-ending', null, id, { reason });
    })();
  }

  finish(id: number, now: number): void {
    this.db.transaction(() => {
      const info = this.db.prepare("UPDATE sessions SET state = 'ended', ended_at = ? WHERE id = ? AND state = 'ending'").run(now, id);
      if (info.changes) this.usage?.cut(id, now, true);
      this.event(now, 'session-end', null, id, null);
    })();
  }

  /** Adds what each counter gained since its last reading; one transaction for all sessions. */
  applyReadings(readings: Map<number, SessionCounters>, now: number): void {
    this.db.transaction(() => {
      for (const row of this.#meterRows.all()) {
        this.#meterOne(row, readings.get(row.id), now);
        this.usage?.cut(row.id, now, false, row.usage_from ?? row.started_at);
      }
    })();
  }

  /** What the poll checks limits on, without the rest of each row (a poll reads every open session). */
  limitViews(): LimitView[] {
    return this.#limitRows.all().map((r) => ({
      id: r.id, mac: r.mac, state: r.state, endsAt: r.ends_at, quotaBytes: r.quota_bytes,
      bytesDown: r.bytes_down, bytesUp: r.bytes_up, lastActiveAt: r.last_active_at ?? r.started_at,
    }));
  }

  #meterOne(row: MeterRow, r: SessionCounters | undefined, now: number): void {
    if (!r) return;
    const dn = advanceCursor({ handle: row.dn_handle, seen: row.dn_seen }, r.down);
    const up = advanceCursor({ handle: row.up_handle, seen: row.up_seen }, r.up);
    if (!dn.delta && !up.delta && dn.next.handle === row.dn_handle && up.next.handle === row.up_handle) return;
    this.#meter.run(dn.delta, up.delta, dn.next.handle, dn.next.seen, up.next.handle, up.next.seen, now, dn.delta + up.delta, now, row.id);
  }

  /** Forgets counter positions after the gate was rebuilt: the new counters start at zero. */
  resetCursors(): void {
    this.db.prepare("UPDATE sessions SET dn_handle = NULL, dn_seen = 0, up_handle = NULL, up_seen = 0 WHERE state != 'ended'").run();
  }

  event(now: number, kind: string, mac: string | null, sessionId: number | null, detail: unknown): void {
    this.#event.run(now, kind, mac, sessionId, detail == null ? null : JSON.stringify(detail));
  }
}
