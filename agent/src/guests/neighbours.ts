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

/**
 * Parses the native reader's `<ip> <mac> <STATE>[ router]` lines
 * (qlink-counters --neigh), with the same rules as parseNeighbours; entries
 * the kernel keeps for multicast (NOARP) are not guests either.
 */
export function parseNativeNeighbours(text: string, ownMac: string | null = null): Sighting[] {
  const out: Sighting[] = [];
  for (const line of text.split('\n')) {
    const [dst, lladdr, state, router] = line.split(' ');
    if (!dst || !lladdr || !state || router === 'router') continue;
    if (state === 'FAILED' || state === 'INCOMPLETE' || state === 'NOARP' || state === 'NONE') continue;
    const mac = normalizeMac(lladdr);
    const ip = normalizeIp(dst);
    if (mac && ip && mac !== ownMac) out.push({ mac, ip: ip.ip, family: ip.family, source: 'neigh' });
  }
  return out;
}
