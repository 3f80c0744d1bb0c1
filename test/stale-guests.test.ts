import t from 'tap';
import { openMemoryStore } from '../agent/src/store/db.js';
import { GuestStore } from '../agent/src/store/guests.js';
import { Retention } from '../agent/src/store/retention.js';

// Spoofed and stale entries go within staleGuestMinutes, not retentionDays
// (issue 16 part 4): MACs that never had a session, not seen for that long,
// with their addresses; past maxGuests the least recently seen of them. A
// guest with a session (paid, ever) waits for retentionDays.
const MIN = 60_000;
const NOW = 1_800_000_000_000;

t.test('never-paid MACs not seen for maxAge go; recent ones and guests who had a session stay', async (t) => {
  const db = openMemoryStore();
  const guests = new GuestStore(db);
  const seen = (mac: string, ip: string, at: number) => guests.record([{ mac, ip, family: 4, source: 'neigh' }], at);
  // A spoofer's made-up neighbours, an hour and more ago; a passer-by just now; a guest who paid yesterday.
  for (let i = 0; i < 50; i++) seen(`02:ff:00:00:00:${i.toString(16).padStart(2, '0')}`, `10.250.1.${i}`, NOW - 90 * MIN);
  seen('02:00:00:00:00:aa', '10.250.0.170', NOW - 5 * MIN);
  seen('02:00:00:00:00:bb', '10.250.0.187', NOW - 24 * 60 * MIN);
  db.prepare("INSERT INTO sessions (mac, state, started_at, ended_at) VALUES ('02:00:00:00:00:bb', 'ended', ?, ?)").run(
    NOW - 25 * 60 * MIN,
    NOW - 24 * 60 * MIN,
  );
  const gone = new Retention(db).pruneStale(NOW, 60 * MIN, 4_096);
  t.same(gone, { addresses: 50, guests: 50 });
  t.same(
    guests
      .seenSince(0)
      .map((g) => g.mac)
      .sort(),
    ['02:00:00:00:00:aa', '02:00:00:00:00:bb'],
  );
  t.equal(guests.macOf('10.250.0.187'), '02:00:00:00:00:bb', 'the paying guest keeps its address');
  t.equal(guests.macOf('10.250.1.3'), undefined);
});

t.test('past maxGuests the least recently seen never-paid MACs go first, however recent', async (t) => {
  const db = openMemoryStore();
  const guests = new GuestStore(db);
  for (let i = 0; i < 100; i++)
    guests.record([{ mac: `02:ee:00:00:00:${i.toString(16).padStart(2, '0')}`, ip: `10.250.2.${i}`, family: 4, source: 'neigh' }], NOW - (100 - i) * 1_000);
  guests.record([{ mac: '02:00:00:00:00:cc', ip: '10.250.0.204', family: 4, source: 'lease' }], NOW - 200_000);
  db.prepare("INSERT INTO sessions (mac, state, started_at) VALUES ('02:00:00:00:00:cc', 'active', ?)").run(NOW - 200_000);
  const gone = new Retention(db).pruneStale(NOW, 60 * MIN, 64);
  t.same(gone, { addresses: 37, guests: 37 }, '101 rows, 64 kept');
  const left = guests.seenSince(0).map((g) => g.mac);
  t.equal(left.length, 64);
  t.ok(left.includes('02:00:00:00:00:cc'), 'the online guest stays, though the oldest seen');
  t.notOk(left.includes('02:ee:00:00:00:00'), 'the oldest never-paid one went');
  t.ok(left.includes('02:ee:00:00:00:63'), 'the newest stayed');
});
