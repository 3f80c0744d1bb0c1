import t from 'tap';
import { openMemoryStore } from '../agent/src/store/db.js';
import { Retention } from '../agent/src/store/retention.js';

// What the router forgets of guests after retentionDays, and what it must keep (docs/privacy.md).
const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

t.test('old guests, addresses, ended sessions, events and acked batches go; what is owed stays', async (t) => {
  const db = openMemoryStore();
  const ins = (sql: string, ...p: (number | string | null)[]) => db.prepare<(number | string | null)[]>(sql).run(...p);
  for (const [mac, seen] of [
    ['02:00:00:00:00:01', NOW - 30 * DAY],
    ['02:00:00:00:00:02', NOW - 30 * DAY],
    ['02:00:00:00:00:03', NOW - DAY],
  ] as const) {
    ins('INSERT INTO guests (mac, hostname, first_seen, last_seen) VALUES (?, ?, ?, ?)', mac, 'phone', seen, seen);
    ins("INSERT INTO guest_addresses (ip, mac, family, source, last_seen) VALUES (?, ?, 4, 'lease', ?)", `10.0.0.${mac.slice(-1)}`, mac, seen);
  }
  // Guest 1: an old ended session, all its records acked. Guest 2: old, but still online. Guest 3: recent.
  ins(
    "INSERT INTO sessions (id, mac, state, started_at, ended_at, channel_id) VALUES (1, '02:00:00:00:00:01', 'ended', ?, ?, 7)",
    NOW - 31 * DAY,
    NOW - 30 * DAY,
  );
  ins("INSERT INTO sessions (id, mac, state, started_at) VALUES (2, '02:00:00:00:00:02', 'active', ?)", NOW - 30 * DAY);
  ins("INSERT INTO sessions (id, mac, state, started_at, ended_at) VALUES (3, '02:00:00:00:00:03', 'ended', ?, ?)", NOW - 2 * DAY, NOW - DAY);
  // An old ended session whose last record is not in an acked batch yet: owed, kept.
  ins("INSERT INTO sessions (id, mac, state, started_at, ended_at) VALUES (4, '02:00:00:00:00:04', 'ended', ?, ?)", NOW - 31 * DAY, NOW - 30 * DAY);
  ins('INSERT INTO usage_records (session_id, start_ms, end_ms, bytes_down, bytes_up, seconds, cost) VALUES (4, 0, 1, 1, 1, 1, 0)');
  ins("INSERT INTO events (at, kind, mac) VALUES (?, 'auth', '02:00:00:00:00:01')", NOW - 30 * DAY);
  ins("INSERT INTO events (at, kind, mac) VALUES (?, 'auth', '02:00:00:00:00:03')", NOW - DAY);
  for (const seq of [1, 2])
    ins(
      "INSERT INTO usage_batches (seq, hash, prev, root, from_ms, to_ms, first_record, last_record, records, sealed_at, acked_at) VALUES (?, 'h', 'p', 'r', 0, 1, 1, 1, 1, 0, ?)",
      seq,
      NOW - 30 * DAY,
    );
  const gone = new Retention(db).prune(NOW, 7);
  t.same(gone, { addresses: 1, guests: 1, sessions: 1, events: 1, batches: 1 });
  const macs = (sql: string) =>
    db
      .prepare<[], { mac: string }>(sql)
      .all()
      .map((r) => r.mac)
      .sort();
  t.same(macs('SELECT mac FROM guests'), ['02:00:00:00:00:02', '02:00:00:00:00:03'], 'the online guest and the recent one stay');
  t.same(
    db
      .prepare<[], { id: number }>('SELECT id FROM sessions ORDER BY id')
      .all()
      .map((r) => r.id),
    [2, 3, 4],
    'the old ended session goes; open, recent and owed ones stay',
  );
  t.same(
    db
      .prepare<[], { seq: number }>('SELECT seq FROM usage_batches')
      .all()
      .map((r) => r.seq),
    [2],
    'the newest batch stays: the next names its hash',
  );
  t.same(new Retention(db).prune(NOW, 7), { addresses: 0, guests: 0, sessions: 0, events: 0, batches: 0 }, 'twice is once');
});
