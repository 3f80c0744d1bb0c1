import type { Binding } from '../gate/backend.js';
import type { Sighting } from '../store/guests.js';

/**
 * The IPv4 bindings the gate enforces: the router's own DHCP leases, one MAC
 * per address (the newest lease line wins, as dnsmasq hands an address to one
 * client at a time). The neighbour table is not a source: it is what an ARP
 * spoofer writes to. A guest with a static address gets no binding and is
 * not forwarded.
 */
export function leaseBindings(sightings: readonly Sighting[]): Binding[] {
  const byIp = new Map<string, Binding>();
  for (const s of sightings) if (s.source === 'lease' && s.family === 4 && s.ip) byIp.set(s.ip, { mac: s.mac, ip: s.ip });
  return [...byIp.values()].sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}
