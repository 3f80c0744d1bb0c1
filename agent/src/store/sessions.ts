import type { SessionCounters } from '../gate/backend.js';
import { advanceCursor } from '../meter.js';
import type { Db } from './driver.js';

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
  /** Bytes to and from the plan's zero-rated destinations: counted apart, never charged. */
  zeroDown: number;
  zeroUp: number;
  /** Let through to the plan's zero-rated destinations only (its credit ran out). */
  zeroOnly: boolean;
  /** The owner's plan and version the session's channel was opened under; null for one the admin granted (or older than plans on chain). */
  planRef: PlanRef | null;
}

export interface PlanRef {
  owner: string;
  planId: number;
  version: number;
}

interface Row {
  id: number;
  mac: string;
  state: SessionState;
  started_at: number;
  ends_at: number | null;
  quota_bytes: number | null;
  bytes_down: number;
  bytes_up: number;
  dn_handle: number | null;
  dn_seen: number;
  up_handle: number | null;
  up_seen: number;
  ended_at: number | null;
  end_reason: string | null;
  plan: string | null;
  down_bps: number | null;
  up_bps: number | null;
  class_minor: number | null;
  last_active_at: number | null;
  zero_down: number;
  zero_up: number;
  zdn_handle: number | null;
  zdn_seen: number;
  zup_handle: number | null;
  zup_seen: number;
  zero_only: number;
  plan_owner: string | null;
  plan_id: number | null;
  plan_version: number | null;
}

const toSession = (r: Row): Session => ({
  id: r.id,
  mac: r.mac,
  state: r.state,
  startedAt: r.started_at,
  endsAt: r.ends_at,
  quotaBytes: r.quota_bytes,
  bytesDown: r.bytes_down,
  bytesUp: r.bytes_up,
  endedAt: r.ended_at,
  endReason: r.end_reason,
  plan: r.plan,
  downBps: r.down_bps,
  upBps: r.up_bps,
  classMinor: r.class_minor ?? 0,
  lastActiveAt: r.last_active_at ?? r.started_at,
  zeroDown: r.zero_down,
  zeroUp: r.zero_up,
  zeroOnly: r.zero_only === 1,
  planRef: r.plan_owner !== null && r.plan_id !== null && r.plan_version !== null ? { owner: r.plan_owner, planId: r.plan_id, version: r.plan_version } : null,
});

export interface SessionLimits {
  endsAt: number | null;
  quotaBytes: number | null;
  plan?: string | null;
  downBps?: number | null;
  upBps?: number | null;
  /** Only the plan's zero-rated destinations (credit out); nothing of it is charged. */
  zeroOnly?: boolean;
  planRef?: PlanRef | null;
}

type MeterRow = Pick<Row, 'id' | 'dn_handle' | 'dn_seen' | 'up_handle' | 'up_seen' | 'zdn_handle' | 'zdn_seen' | 'zup_handle' | 'zup_seen' | 'started_at'> & {
  usage_from: number | null;
};
type MeterTuple = [number, number | null, number, number | null, number, number, number | null, number | null, number, number | null, number];
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
  readonly #dueRows;
  readonly #openByMac;
  readonly #meter;
  readonly #meterZero;
  readonly #event;

  constructor(
    private readonly db: Db,
    private readonly usage?: UsageHook,
  ) {
    this.#byId = db.prepare<[number], Row>('SELECT * FROM sessions WHERE id = ?');
    this.#open = db.prepare<[], Row>("SELECT * FROM sessions WHERE state != 'ended' ORDER BY id");
    // Narrow reads for the poll: decoding whole rows was most of a poll's cost at 1,000 sessions.
    // Rows as arrays: at 1,000 sessions a poll spent more time making the row objects than metering.
    this.#meterRows = db.prepareTuples<[], MeterTuple>(
      "SELECT id, dn_handle, dn_seen, up_handle, up_seen, started_at, usage_from, zdn_handle, zdn_seen, zup_handle, zup_seen FROM sessions WHERE state != 'ended'",
    );
    this.#limitRows = db.prepare<[], LimitRow>(
      "SELECT id, mac, state, ends_at, quota_bytes, bytes_down, bytes_up, last_active_at, started_at FROM sessions WHERE state != 'ended' ORDER BY id",
    );
    // The same, only the rows a limit may have reached: SQLite skips the rest without making them.
    this.#dueRows = db.prepare<
      [{ now: number; idle: number | null }],
      LimitRow
    >(`SELECT id, mac, state, ends_at, quota_bytes, bytes_down, bytes_up, last_active_at, started_at
      FROM sessions WHERE state != 'ended' AND (state = 'ending' OR ends_at <= @now OR bytes_down + bytes_up >= quota_bytes
      OR (@idle IS NOT NULL AND COALESCE(last_active_at, started_at) <= @now - @idle)) ORDER BY id`);
    this.#openByMac = db.prepare<[string], Row>("SELECT * FROM sessions WHERE mac = ? AND state != 'ended'");
    this.#meter =
      db.prepare(`UPDATE sessions SET bytes_down = bytes_down + ?, bytes_up = bytes_up + ?, dn_handle = ?, dn_seen = ?, up_handle = ?, up_seen = ?, metered_at = ?,
      last_active_at = CASE WHEN ? > 0 THEN ? ELSE last_active_at END WHERE id = ?`);
    this.#meterZero =
      db.prepare(`UPDATE sessions SET zero_down = zero_down + ?, zero_up = zero_up + ?, zdn_handle = ?, zdn_seen = ?, zup_handle = ?, zup_seen = ?,
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
      const ref = limits.planRef ?? null;
      const info = this.db
        .prepare(`INSERT INTO sessions (mac, state, started_at, ends_at, quota_bytes, plan, down_bps, up_bps, class_minor, last_active_at, zero_only,
        plan_owner, plan_id, plan_version) VALUES (?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(
          mac,
          now,
          limits.endsAt,
          limits.quotaBytes,
          limits.plan ?? null,
          limits.downBps ?? null,
          limits.upBps ?? null,
          this.#freeMinor(),
          now,
          limits.zeroOnly ? 1 : 0,
          ref?.owner.toLowerCase() ?? null,
          ref?.planId ?? null,
          ref?.version ?? null,
        );
      const id = Number(info.lastInsertRowid);
      this.event(now, 'session-start', mac, id, limits);
      return this.get(id)!;
    });
  }

  /** The lowest queue number no open session holds. */
  #freeMinor(): number {
    const used = this.db
      .prepare<[], { m: number }>("SELECT class_minor AS m FROM sessions WHERE state != 'ended' AND class_minor IS NOT NULL ORDER BY class_minor")
      .all();
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
    });
  }

  /** Records the intent to end before the kernel is touched, so a crash in between still ends it. */
  markEnding(id: number, reason: string, now: number): void {
    this.db.transaction(() => {
      this.db.prepare("UPDATE sessions SET state = 'ending', end_reason = ? WHERE id = ? AND state = 'active'").run(reason, id);
      this.event(now, 'session-ending', null, id, { reason });
    });
  }

  finish(id: number, now: number): void {
    this.db.transaction(() => {
      const info = this.db.prepare("UPDATE sessions SET state = 'ended', ended_at = ? WHERE id = ? AND state = 'ending'").run(now, id);
      if (info.changes) this.usage?.cut(id, now, true);
      this.event(now, 'session-end', null, id, null);
    });
  }

  /** Adds what each counter gained since its last reading; one transaction for all sessions. */
  applyReadings(readings: Map<number, SessionCounters>, now: number): void {
    this.db.transaction(() => {
      for (const [id, dnHandle, dnSeen, upHandle, upSeen, startedAt, usageFrom, zdnHandle, zdnSeen, zupHandle, zupSeen] of this.#meterRows.all()) {
        const r = readings.get(id);
        if (r) {
          this.#meterOne(
            {
              id,
              dn_handle: dnHandle,
              dn_seen: dnSeen,
              up_handle: upHandle,
              up_seen: upSeen,
              started_at: startedAt,
              usage_from: usageFrom,
              zdn_handle: zdnHandle,
              zdn_seen: zdnSeen,
              zup_handle: zupHandle,
              zup_seen: zupSeen,
            },
            r,
            now,
          );
        }
        this.usage?.cut(id, now, false, usageFrom ?? startedAt);
      }
    });
  }

  /**
   * What the poll checks limits on, without the rest of each row. With `due`,
   * only the sessions whose time, quota or idle limit may be reached at `now`
   * (and those already ending): a superset of what limitReached() ends.
   */
  limitViews(due?: { now: number; idleMs: number | null }): LimitView[] {
    const rows = due ? this.#dueRows.all({ now: due.now, idle: due.idleMs }) : this.#limitRows.all();
    return rows.map((r) => ({
      id: r.id,
      mac: r.mac,
      state: r.state,
      endsAt: r.ends_at,
      quotaBytes: r.quota_bytes,
      bytesDown: r.bytes_down,
      bytesUp: r.bytes_up,
      lastActiveAt: r.last_active_at ?? r.started_at,
    }));
  }

  #meterOne(row: MeterRow, r: SessionCounters | undefined, now: number): void {
    if (!r) return;
    if (r.zeroDown || r.zeroUp) {
      const zdn = advanceCursor({ handle: row.zdn_handle, seen: row.zdn_seen }, r.zeroDown);
      const zup = advanceCursor({ handle: row.zup_handle, seen: row.zup_seen }, r.zeroUp);
      if (zdn.delta || zup.delta || zdn.next.handle !== row.zdn_handle || zup.next.handle !== row.zup_handle) {
        this.#meterZero.run(zdn.delta, zup.delta, zdn.next.handle, zdn.next.seen, zup.next.handle, zup.next.seen, zdn.delta + zup.delta, now, row.id);
      }
    }
    const dn = advanceCursor({ handle: row.dn_handle, seen: row.dn_seen }, r.down);
    const up = advanceCursor({ handle: row.up_handle, seen: row.up_seen }, r.up);
    if (!dn.delta && !up.delta && dn.next.handle === row.dn_handle && up.next.handle === row.up_handle) return;
    this.#meter.run(dn.delta, up.delta, dn.next.handle, dn.next.seen, up.next.handle, up.next.seen, now, dn.delta + up.delta, now, row.id);
  }

  /** Forgets counter positions after the gate was rebuilt: the new counters start at zero. */
  resetCursors(): void {
    this.db
      .prepare(
        "UPDATE sessions SET dn_handle = NULL, dn_seen = 0, up_handle = NULL, up_seen = 0, zdn_handle = NULL, zdn_seen = 0, zup_handle = NULL, zup_seen = 0 WHERE state != 'ended'",
      )
      .run();
  }

  event(now: number, kind: string, mac: string | null, sessionId: number | null, detail: unknown): void {
    this.#event.run(now, kind, mac, sessionId, detail == null ? null : JSON.stringify(detail));
  }
}
