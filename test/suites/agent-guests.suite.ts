import type { Test } from 'tap';
import type { SqlDriver } from '../../agent/src/store/driver.js';
import { GuestStore } from '../../agent/src/store/guests.js';
import { agentStores, MAC_A, MAC_B, T0 } from './agent-store-fixtures.js';

const MIN = 60_000;

/** GuestStore: guests by MAC and every address they were seen with. */
export function guestStoreSuite(t: Test, driver: SqlDriver): void {
  const { memory, file } = agentStores(t, driver);

  t.test('a sighting stores the guest and each address it was seen with', async (t) => {
    const g = new GuestStore(memory());
    g.record(
      [
        { mac: MAC_A, ip: '10.0.0.5', family: 4, hostname: 'phone', source: 'lease' },
        { mac: MAC_A, ip: 'fe80::1', family: 6, source: 'neigh' },
      ],
      T0,
    );
    t.equal(g.macOf('10.0.0.5'), MAC_A);
    t.equal(g.macOf('fe80::1'), MAC_A);
    t.equal(g.macOf('10.0.0.9'), undefined);
    t.same(g.addresses(MAC_A), [
      { ip: '10.0.0.5', family: 4, lastSeen: T0 },
      { ip: 'fe80::1', family: 6, lastSeen: T0 },
    ]);
    t.equal(g.hostname(MAC_A), 'phone');
    t.ok(g.known(MAC_A));
  });

  t.test('a guest that gave no name: null; one never seen: undefined', async (t) => {
    const g = new GuestStore(memory());
    g.record([{ mac: MAC_A, source: 'neigh' }], T0);
    t.equal(g.hostname(MAC_A), null);
    t.ok(g.known(MAC_A));
    t.equal(g.hostname(MAC_B), undefined);
    t.notOk(g.known(MAC_B));
    t.same(g.addresses(MAC_B), []);
  });

  t.test('a later sighting without a name keeps the known one; an address seen with another guest moves to it', async (t) => {
    const g = new GuestStore(memory());
    g.record([{ mac: MAC_A, ip: '10.0.0.5', family: 4, hostname: 'phone', source: 'lease' }], T0);
    g.record([{ mac: MAC_A, ip: '10.0.0.5', family: 4, source: 'neigh' }], T0 + MIN);
    t.equal(g.hostname(MAC_A), 'phone');
    g.record([{ mac: MAC_A, hostname: 'tablet', source: 'lease' }], T0 + 2 * MIN);
    t.equal(g.hostname(MAC_A), 'tablet', 'a new name replaces the old');
    g.record([{ mac: MAC_B, ip: '10.0.0.5', family: 4, source: 'lease' }], T0 + 3 * MIN);
    t.equal(g.macOf('10.0.0.5'), MAC_B);
    t.same(g.addresses(MAC_A), []);
  });

  t.test('addresses: IPv4 first, then IPv6, each newest first', async (t) => {
    const g = new GuestStore(memory());
    g.record(
      [
        { mac: MAC_A, ip: 'fe80::1', family: 6, source: 'neigh' },
        { mac: MAC_A, ip: '10.0.0.5', family: 4, source: 'lease' },
      ],
      T0,
    );
    g.record(
      [
        { mac: MAC_A, ip: 'fe80::2', family: 6, source: 'neigh' },
        { mac: MAC_A, ip: '10.0.0.6', family: 4, source: 'lease' },
      ],
      T0 + MIN,
    );
    t.same(
      g.addresses(MAC_A).map((a) => a.ip),
      ['10.0.0.6', '10.0.0.5', 'fe80::2', 'fe80::1'],
    );
  });

  t.test('a sighting already stored is written again only after a minute; guests seen since a time, newest first', async (t) => {
    const g = new GuestStore(memory());
    g.record(
      [
        { mac: MAC_A, hostname: 'a', source: 'lease' },
        { mac: MAC_B, source: 'neigh' },
      ],
      T0,
    );
    g.record([{ mac: MAC_A, hostname: 'a', source: 'lease' }], T0 + 30_000);
    t.same(g.seenSince(T0 + 1), [], 'half a minute later: not written again');
    g.record([{ mac: MAC_A, hostname: 'a', source: 'lease' }], T0 + MIN);
    t.same(g.seenSince(T0 + 1), [{ mac: MAC_A, hostname: 'a', lastSeen: T0 + MIN }]);
    t.same(g.seenSince(T0), [
      { mac: MAC_A, hostname: 'a', lastSeen: T0 + MIN },
      { mac: MAC_B, hostname: null, lastSeen: T0 },
    ]);
  });

  t.test('stored when record returns: a restarted agent knows the guest', async (t) => {
    const { db, restarted } = file();
    new GuestStore(db).record([{ mac: MAC_A, ip: '10.0.0.5', family: 4, hostname: 'phone', source: 'lease' }], T0);
    const again = new GuestStore(restarted());
    t.equal(again.macOf('10.0.0.5'), MAC_A);
    t.equal(again.hostname(MAC_A), 'phone');
  });
}
