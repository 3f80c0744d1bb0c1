import { normalizeIp, normalizeMac } from '../net/address.js';
import type { Sighting } from '../store/guests.js';

/**
 * Parses a dnsmasq lease file: `<expiry> <mac> <ip> <hostname|*> <client-id|*>`.
 * DHCPv6 lines carry no MAC and are skipped; SLAAC addresses come from the neighbour table.
 */
export function parseLeases(text: string, nowSeconds: number): Sighting[] {
  const out: Sighting[] = [];
  for (const line of text.split('\n')) {
    const [expiry, macText, ipText, host] = line.trim().split(/\s+/);
    if (!expiry || !macText || !ipText) continue;
    const mac = normalizeMac(macText);
    const ip = normalizeIp(ipText);
    const exp = Number(expiry);
    // Expiry 0 is dnsmasq's "infinite lease".
    if (!mac || !ip || !Number.isFinite(exp) || (exp !== 0 && exp < nowSeconds)) continue;
    const s: Sighting = { mac, ip: ip.ip, family: ip.family, source: 'lease' };
    if (host && host !== '*') s.hostname = host.slice(0, 63);
    out.push(s);
  }
  return out;
}
