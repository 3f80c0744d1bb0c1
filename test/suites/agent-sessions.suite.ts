import type { Test } from 'tap';
import type { SessionCounters } from '../../agent/src/gate/backend.js';
import type { Db, SqlDriver } from '../../agent/src/store/driver.js';
import { SessionStore, type UsageHook } from '../../agent/src/store/sessions.js';
import { agentStores, MAC_A, MAC_B, MAC_C, T0 } from './agent-store-fixtures.js';

const reading = (handle: number, down: number, up = 0): SessionCounters => ({
  down: { handle, bytes: down, packets: 1 },
  up: { handle: handle + 1, bytes: up, packets: 1 },
});
const events = (db: Db) =>
  db
    .prepare<[], { kind: string; session_id: number | null }>('SELECT kind, session_id FROM events ORDER BY id')
    .all()
    .map((e) => [e.kind, e.session_id]);
const cuts = () => {
  const calls: Array<[number, number, boolean]> = [];
  return { calls, hook: { cut: (id, now, final) => void calls.push([id, now, final]) } satisfies UsageHook };
};
const failing: UsageHook = {
  cut: () => {
    throw new Error('disk full');
  },
};

/** SessionStore: sessions and their metered totals, each change one transaction, written before the gate is touched. */
export function sessionStoreSuite(t: Test, driver: SqlDriver): void {
  const { memory, file } = agentStores(t, driver);

  t.test('start stores an active session with its limits and queue, and an event', async (t) => {
    const db = memory();
    const s = new SessionStore(db);
    const planRef = { owner: '0x' + 'ab'.repeat(20), planId: 3, version: 2 };
    const got = s.start(MAC_A, { endsAt: T0 + 3_600_000, quotaBytes: 5_000_000, plan: 'hour', downBps: 1_000_000, upBps: 500_000, planRef }, T0);
    t.same(got, {
      id: 1,
      mac: MAC_A,
      state: 'active',
      startedAt: T0,
      endsAt: T0 + 3_600_000,
      quotaBytes: 5_000_000,
      bytesDown: 0,
      bytesUp: 0,
      endedAt: null,
      endReason: null,
      plan: 'hour',
      downBps: 1_000_000,
      upBps: 500_000,
      classMinor: 0x10,
      lastActiveAt: T0,
      planRef,
      zeroDown: 0,
      zeroUp: 0,
      zeroOnly: false,
    });
    t.equal(s.start(MAC_B, { endsAt: null, quotaBytes: null }, T0).planRef, null, 'a session no channel opened names no plan version');
    t.same(s.get(1), got);
    t.same(s.openFor(MAC_A), got);
    t.same(s.open()[0], got);
    t.equal(s.get(3), undefined);
    t.equal(s.openFor('02:00:00:00:00:99'), undefined);
    t.same(events(db), [
      ['session-start', 1],
      ['session-start', 2],
    ]);
  });

  t.test('a session is stored before start returns (the gate opens after): a restarted agent finds it open', async (t) => {
    const { db, restarted } = file();
    const started = new SessionStore(db).start(MAC_A, { endsAt: null, quotaBytes: null }, T0);
    t.same(new SessionStore(restarted()).open(), [started]);
  });

  t.test('one open session per MAC: a second start throws and stores nothing', async (t) => {
    const db = memory();
    const s = new SessionStore(db);
    s.start(MAC_A, { endsAt: null, quotaBytes: null }, T0);
    t.throws(() => s.start(MAC_A, { endsAt: null, quotaBytes: null }, T0 + 1));
    t.equal(s.open().length, 1);
    t.same(events(db), [['session-start', 1]], 'no event for the refused one');
  });

  t.test('ids are never reused; queue numbers are: the lowest one no open session holds', async (t) => {
    const s = new SessionStore(memory());
    const a = s.start(MAC_A, { endsAt: null, quotaBytes: null }, T0);
    const b = s.start(MAC_B, { endsAt: null, quotaBytes: null }, T0);
    t.same([a.classMinor, b.classMinor], [0x10, 0x11]);
    s.markEnding(a.id, 'expired', T0 + 1);
    s.finish(a.id, T0 + 2);
    const c = s.start(MAC_C, { endsAt: null, quotaBytes: null }, T0 + 3);
    const d = s.start(MAC_A, { endsAt: null, quotaBytes: null }, T0 + 4);
    t.same([c.id, c.classMinor], [3, 0x10], "a new id; the ended session's queue");
    t.same([d.id, d.classMinor], [4, 0x12]);
  });

  t.test('ending: the intent is stored first, then the end; each happens once', async (t) => {
    const s = new SessionStore(memory());
    const a = s.start(MAC_A, { endsAt: null, quotaBytes: null }, T0);
    s.finish(a.id, T0 + 1);
    t.equal(s.get(a.id)?.state, 'active', 'finish ends only a session marked ending');
    s.markEnding(a.id, 'quota', T0 + 2);
    t.match(s.get(a.id), { state: 'ending', endReason: 'quota', endedAt: null });
    t.same(
      s.open().map((x) => x.id),
      [a.id],
      'an ending session is still open (its gate is not closed yet)',
    );
    s.markEnding(a.id, 'expired', T0 + 3);
    t.equal(s.get(a.id)?.endReason, 'quota', 'the first reason stays');
    s.finish(a.id, T0 + 4);
    t.match(s.get(a.id), { state: 'ended', endReason: 'quota', endedAt: T0 + 4 });
    t.same(s.open(), []);
    t.equal(s.openFor(MAC_A), undefined);
    s.markEnding(a.id, 'again', T0 + 5);
    t.equal(s.get(a.id)?.state, 'ended', 'an ended session stays ended');
  });

  t.test('finish cuts the final usage record in its transaction, once; a failed cut leaves the session ending', async (t) => {
    const db = memory();
    const { calls, hook } = cuts();
    const s = new SessionStore(db, hook);
    const a = s.start(MAC_A, { endsAt: null, quotaBytes: null }, T0);
    s.markEnding(a.id, 'logout', T0 + 1);
    s.finish(a.id, T0 + 2);
    s.finish(a.id, T0 + 3);
    t.same(calls, [[a.id, T0 + 2, true]]);
    const broken = new SessionStore(db, failing);
    const b = broken.start(MAC_B, { endsAt: null, quotaBytes: null }, T0);
    broken.markEnding(b.id, 'logout', T0 + 1);
    t.throws(() => broken.finish(b.id, T0 + 2), /disk full/);
    t.match(broken.get(b.id), { state: 'ending', endedAt: null }, 'ended again on the next try');
    t.notOk(
      events(db).some(([k, id]) => k === 'session-end' && id === b.id),
      'no end event either',
    );
  });

  t.test('readings: what each counter gained is added; a new counter handle counts from zero', async (t) => {
    const s = new SessionStore(memory());
    const a = s.start(MAC_A, { endsAt: null, quotaBytes: null }, T0);
    const b = s.start(MAC_B, { endsAt: null, quotaBytes: null }, T0);
    s.applyReadings(new Map([[a.id, reading(1, 1000, 100)]]), T0 + 10);
    s.applyReadings(
      new Map([
        [a.id, reading(1, 1500, 150)],
        [b.id, reading(5, 70)],
      ]),
      T0 + 20,
    );
    t.match(s.get(a.id), { bytesDown: 1500, bytesUp: 150, lastActiveAt: T0 + 20 });
    t.match(s.get(b.id), { bytesDown: 70, bytesUp: 0 });
    s.applyReadings(new Map([[a.id, reading(7, 200, 0)]]), T0 + 30);
    t.match(s.get(a.id), { bytesDown: 1700, bytesUp: 150 }, 'a new handle: its 200 are all new');
    s.applyReadings(new Map([[a.id, reading(7, 200, 0)]]), T0 + 40);
    t.match(s.get(a.id), { bytesDown: 1700, lastActiveAt: T0 + 30 }, 'nothing gained: neither the totals nor the last activity move');
    s.applyReadings(new Map([[a.id, reading(9, 0, 0)]]), T0 + 45);
    t.match(s.get(a.id), { bytesDown: 1700, lastActiveAt: T0 + 30 }, 'nor a new counter that has counted nothing');
    s.applyReadings(new Map([[a.id, reading(9, 5, 0)]]), T0 + 46);
    t.match(s.get(a.id), { bytesDown: 1705, lastActiveAt: T0 + 46 }, 'its handle was kept');
    s.markEnding(b.id, 'x', T0 + 41);
    s.finish(b.id, T0 + 42);
    s.applyReadings(new Map([[b.id, reading(5, 900)]]), T0 + 50);
    t.equal(s.get(b.id)?.bytesDown, 70, 'an ended session is metered no more');
  });

  t.test('readings and the usage cut are one transaction: a failed cut moves no total', async (t) => {
    const db = memory();
    const a = new SessionStore(db).start(MAC_A, { endsAt: null, quotaBytes: null }, T0);
    t.throws(() => new SessionStore(db, failing).applyReadings(new Map([[a.id, reading(1, 1000)]]), T0 + 10), /disk full/);
    t.match(new SessionStore(db).get(a.id), { bytesDown: 0, lastActiveAt: T0 });
    const { calls, hook } = cuts();
    new SessionStore(db, hook).applyReadings(new Map([[a.id, reading(1, 1000)]]), T0 + 20);
    t.same(calls, [[a.id, T0 + 20, false]], 'every open session is offered a cut');
    t.equal(new SessionStore(db).get(a.id)?.bytesDown, 1000, 'the same reading counts once it is stored');
  });

  t.test('resetCursors: after the gate is rebuilt, the next reading counts from zero', async (t) => {
    const s = new SessionStore(memory());
    const a = s.start(MAC_A, { endsAt: null, quotaBytes: null }, T0);
    s.applyReadings(new Map([[a.id, reading(1, 1000)]]), T0 + 10);
    s.resetCursors();
    s.applyReadings(new Map([[a.id, reading(1, 1200)]]), T0 + 20);
    t.equal(s.get(a.id)?.bytesDown, 2200, 'all 1,200 of the new counter, not the 200 over the old one');
  });

  t.test('limit views of the open sessions; rates stored with an event', async (t) => {
    const db = memory();
    const s = new SessionStore(db);
    const a = s.start(MAC_A, { endsAt: T0 + 60_000, quotaBytes: 10_000 }, T0);
    const b = s.start(MAC_B, { endsAt: null, quotaBytes: null }, T0);
    s.applyReadings(new Map([[a.id, reading(1, 300, 30)]]), T0 + 5);
    s.markEnding(b.id, 'x', T0 + 6);
    s.finish(b.id, T0 + 7);
    t.same(s.limitViews(), [
      { id: a.id, mac: MAC_A, state: 'active', endsAt: T0 + 60_000, quotaBytes: 10_000, bytesDown: 300, bytesUp: 30, lastActiveAt: T0 + 5 },
    ]);
    s.setRates(a.id, 2_000_000, null, T0 + 8);
    t.match(s.get(a.id), { downBps: 2_000_000, upBps: null });
    t.equal(events(db).filter(([k]) => k === 'session-rates').length, 1);
  });
}
