import t from 'tap';
import { Gatekeeper } from '../agent/src/gatekeeper.js';
import { createLogger } from '../agent/src/log.js';
import { openMemoryStore } from '../agent/src/store/db.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import { MemoryGate } from './fakes/memory-gate.js';

const policy = { guestInterface: 'br-lan', portalPort: 8088, walled4: [], walled6: [], blocked4: [], blocked6: [] };
const A = '02:00:00:00:00:01';
const B = '02:00:00:00:00:02';

function setup(now = { t: 1_000_000 }) {
  const db = openMemoryStore();
  const sessions = new SessionStore(db);
  const gate = new MemoryGate();
  const gk = new Gatekeeper(gate, sessions, policy, createLogger('silent'), () => now.t);
  return { db, sessions, gate, gk, now };
}

t.test('auth lets a guest through and metering adds its bytes', async (t) => {
  const { sessions, gate, gk } = setup();
  await gk.start();
  t.notOk(gate.traffic(A, 10, 10), 'held before auth');
  const s = await gk.auth(A, { endsAt: null, quotaBytes: null });
  t.ok(gate.traffic(A, 1000, 200));
  await gk.poll();
  t.ok(gate.traffic(A, 500, 0));
  await gk.poll();
  t.same([sessions.get(s.id)!.bytesDown, sessions.get(s.id)!.bytesUp], [1500, 200]);
  t.equal((await gk.auth(A, { endsAt: null, quotaBytes: null })).id, s.id, 'auth twice keeps the session');
});

t.test('deauth meters the last bytes, ends the session and drops its counters', async (t) => {
  const { gate, gk } = setup();
  await gk.start();
  const s = await gk.auth(A, { endsAt: null, quotaBytes: null });
  gate.traffic(A, 777, 33);
  const ended = await gk.deauth(A, 'deauth');
  t.same([ended!.state, ended!.bytesDown, ended!.bytesUp], ['ended', 777, 33]);
  t.notOk(gate.counters.has(s.id));
  t.notOk(gate.traffic(A, 1, 1), 'held again');
  t.equal(await gk.deauth(A, 'deauth'), undefined, 'nothing to end twice');
});

t.test('a restart adopts the kernel counters: bytes counted while down are not lost', async (t) => {
  const first = setup();
  await first.gk.start();
  const s = await first.gk.auth(A, { endsAt: null, quotaBytes: null });
  first.gate.traffic(A, 100, 0);
  await first.gk.poll();
  first.gate.traffic(A, 50, 0); // the agent is "killed" here; the kernel keeps counting
  const again = new Gatekeeper(first.gate, first.sessions, policy, createLogger('silent'));
  await again.start();
  t.equal(first.sessions.get(s.id)!.bytesDown, 150);
});

t.test('a flushed gate is rebuilt and counting restarts from zero', async (t) => {
  const { sessions, gate, gk } = setup();
  await gk.start();
  const s = await gk.auth(A, { endsAt: null, quotaBytes: null });
  gate.traffic(A, 100, 0);
  await gk.poll();
  gate.traffic(A, 40, 0); // lost with the flush: after the last poll
  gate.flush();
  await gk.poll();
  t.equal(gk.health.restores, 1);
  t.ok(gate.traffic(A, 10, 0), 'granted again');
  await gk.poll();
  t.equal(sessions.get(s.id)!.bytesDown, 110);
});

t.test('rules flushed with the table left standing are rebuilt within a few polls, counters kept', async (t) => {
  const { sessions, gate, gk } = setup();
  await gk.start();
  const s = await gk.auth(A, { endsAt: null, quotaBytes: null });
  gate.traffic(A, 100, 0);
  gate.rulesFlushed = true;
  for (let i = 0; i < 3; i++) await gk.poll();
  t.notOk(gate.rulesFlushed, 'rebuilt');
  t.equal(gk.health.restores, 1);
  t.equal(sessions.get(s.id)!.bytesDown, 100);
});

t.test('time and quota limits end sessions', async (t) => {
  const { sessions, gate, gk, now } = setup();
  await gk.start();
  const a = await gk.auth(A, { endsAt: now.t + 60_000, quotaBytes: null });
  const b = await gk.auth(B, { endsAt: null, quotaBytes: 1000 });
  gate.traffic(B, 600, 500);
  await gk.poll();
  t.equal(sessions.get(b.id)!.endReason, 'quota');
  t.equal(sessions.get(a.id)!.state, 'active');
  now.t += 61_000;
  await gk.poll();
  t.same([sessions.get(a.id)!.state, sessions.get(a.id)!.endReason], ['ended', 'time']);
});

t.test('an idle session ends after the idle timeout; a busy one does not', async (t) => {
  const now = { t: 1_000_000 };
  const db = openMemoryStore();
  const sessions = new SessionStore(db);
  const gate = new MemoryGate();
  const gk = new Gatekeeper(gate, sessions, policy, createLogger('silent'), () => now.t, { idleTimeoutMs: 30_000 });
  await gk.start();
  const a = await gk.auth(A, { endsAt: null, quotaBytes: null });
  const b = await gk.auth(B, { endsAt: null, quotaBytes: null });
  for (let i = 0; i < 4; i++) {
    now.t += 10_000;
    gate.traffic(B, 100, 100);
    await gk.poll();
  }
  t.same([sessions.get(a.id)!.state, sessions.get(a.id)!.endReason], ['ended', 'idle']);
  t.equal(sessions.get(b.id)!.state, 'active');
});

t.test('a session marked ending before a crash is finished on start', async (t) => {
  const { sessions, gate, gk } = setup();
  await gk.start();
  const s = await gk.auth(A, { endsAt: null, quotaBytes: null });
  gate.traffic(A, 10, 0);
  sessions.markEnding(s.id, 'deauth', 1);
  const again = new Gatekeeper(gate, sessions, policy, createLogger('silent'));
  await again.start();
  t.same([sessions.get(s.id)!.state, sessions.get(s.id)!.bytesDown], ['ended', 10]);
  t.notOk(gate.grants.has(A));
});
