import type { IpFamily } from '../net/address.js';
import type { Db } from './driver.js';

export interface Sighting {
  mac: string;
  ip?: string;
  family?: IpFamily;
  hostname?: string;
  source: 'lease' | 'neigh';
}

export interface GuestAddress {
  ip: string;
  family: IpFamily;
  lastSeen: number;
}

/** A sighting already stored is written again only this often, to keep `last_seen` fresh without a write per poll. */
const REFRESH_MS = 60_000;

/** Guests by MAC and every address they were seen with (DHCP leases, neighbour table). */
export class GuestStore {
  readonly #written = new Map<string, number>();
  readonly #upsertGuest;
  readonly #upsertAddr;
  readonly #byIp;
  readonly #addrs;

  constructor(private readonly db: Db) {
    this.#upsertGuest = db.prepare(`INSERT INTO guests (mac, hostname, first_seen, last_seen) VALUES (?, ?, ?, ?)
      ON CONFLICT(mac) DO UPDATE SET last_seen = excluded.last_seen, hostname = COALESCE(excluded.hostname, guests.hostname)`);
    this.#upsertAddr = db.prepare(`INSERT INTO guest_addresses (ip, mac, family, source, last_seen) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(ip) DO UPDATE SET mac = excluded.mac, family = excluded.family, source = excluded.source, last_seen = excluded.last_seen`);
    this.#byIp = db.prepare<[string], { mac: string }>('SELECT mac FROM guest_addresses WHERE ip = ?');
    this.#addrs = db.prepare<[string], { ip: string; family: IpFamily; last_seen: number }>(
      'SELECT ip, family, last_seen FROM guest_addresses WHERE mac = ? ORDER BY family, last_seen DESC',
    );
  }

  record(sightings: readonly Sighting[], now: number): void {
    const fresh = sightings.filter((s) => {
      const key = `${s.mac}|${s.ip ?? ''}|${s.hostname ?? ''}`;
      const at = this.#written.get(key);
      if (at !== undefined && now - at < REFRESH_MS) return false;
      this.#written.set(key, now);
      return true;
    });
    if (this.#written.size > 50_000) this.#written.clear();
    if (!fresh.length) return;
    this.db.transaction(() => {
      for (const s of fresh) {
        this.#upsertGuest.run(s.mac, s.hostname ?? null, now, now);
        if (s.ip && s.family) this.#upsertAddr.run(s.ip, s.mac, s.family, s.source, now);
      }
    });
  }

  macOf(ip: string): string | undefined {
    return this.#byIp.get(ip)?.mac;
  }

  addresses(mac: string): GuestAddress[] {
    return this.#addrs.all(mac).map((r) => ({ ip: r.ip, family: r.family, lastSeen: r.last_seen }));
  }

  known(mac: string): boolean {
    return this.hostname(mac) !== undefined;
  }

  /** The host name a guest gave in DHCP: null when none, undefined for an unknown guest. */
  hostname(mac: string): string | null | undefined {
    const row = this.db.prepare<[string], { hostname: string | null }>('SELECT hostname FROM guests WHERE mac = ?').get(mac);
    return row ? row.hostname : undefined;
  }

  /** Guests seen since `since` (ms), newest first. */
  seenSince(since: number): Array<{ mac: string; hostname: string | null; lastSeen: number }> {
    return this.db
      .prepare<[number], { mac: string; hostname: string | null; last_seen: number }>(
        'SELECT mac, hostname, last_seen FROM guests WHERE last_seen >= ? ORDER BY last_seen DESC',
      )
      .all(since)
      .map((r) => ({ mac: r.mac, hostname: r.hostname, lastSeen: r.last_seen }));
  }
}
