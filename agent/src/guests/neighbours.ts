import { normalizeIp, normalizeMac } from '../net/address.js';
import type { Sighting } from '../store/guests.js';

interface NeighEntry {
  dst?: string;
  lladdr?: string;
  state?: string[];
}

/** Parses `ip -j neigh show dev <guest interface>`; entries the kernel could not resolve are skipped. */
export function parseNeighbours(json: string): Sighting[] {
  let entries: unknown;
  try {
    entries = JSON.parse(json || '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(entries)) return [];
  const out: Sighting[] = [];
  for (const e of entries as NeighEntry[]) {
    if (!e || typeof e.dst !== 'string' || typeof e.lladdr !== 'string') continue;
    if (e.state?.some((s) => s === 'FAILED' || s === 'INCOMPLETE')) continue;
    const mac = normalizeMac(e.lladdr);
    const ip = normalizeIp(e.dst);
    if (mac && ip) out.push({ mac, ip: ip.ip, family: ip.family, source: 'neigh' });
  }
  return out;
}
