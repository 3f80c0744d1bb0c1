import { normalizeIp, normalizeMac } from '../net/address.js';
import type { Sighting } from '../store/guests.js';

interface NeighEntry {
  dst?: string;
  lladdr?: string;
  state?: string[];
  router?: unknown;
}

/**
 * Parses `ip -j neigh show dev <guest interface>`. Skipped: entries the kernel
 * could not resolve, routers (IPv6 router flag) and the router's own MAC, none of them guests.
 */
export function parseNeighbours(json: string, ownMac: string | null = null): Sighting[] {
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
    if (e.state?.some((s) => s === 'FAILED' || s === 'INCOMPLETE') || 'router' in e) continue;
    const mac = normalizeMac(e.lladdr);
    const ip = normalizeIp(e.dst);
    if (mac && ip && mac !== ownMac) out.push({ mac, ip: ip.ip, family: ip.family, source: 'neigh' });
  }
  return out;
}
