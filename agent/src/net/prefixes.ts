import { isIP } from 'node:net';

/** The network of an address and prefix length, as `net/len` (host bits cleared). */
export function networkOf(address: string, len: number): string | null {
  const fam = isIP(address);
  if (fam === 4) {
    const v = ((ipv4Number(address) ?? 0) & ipv4Mask(len)) >>> 0;
    return `${[24, 16, 8, 0].map((s) => String((v >>> s) & 255)).join('.')}/${len}`;
  }
  if (fam === 6) {
    const v = v6ToBig(address) & (len === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - len)) - 1n));
    return `${bigToV6(v)}/${len}`;
  }
  return null;
}

/** A dotted IPv4 address as an unsigned 32-bit number, or null if it is not one (the lease filter runs this per lease each poll: no BigInt, no allocation). */
export function ipv4Number(ip: string): number | null {
  const o = ip.split('.');
  if (o.length !== 4) return null;
  let v = 0;
  for (const x of o) {
    const n = Number(x);
    if (x === '' || !Number.isInteger(n) || n < 0 || n > 255) return null;
    v = v * 256 + n;
  }
  return v;
}

/** The IPv4 netmask of a prefix length, as an unsigned 32-bit number. */
export function ipv4Mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

function v6ToBig(a: string): bigint {
  const [head, tail] = a.includes('::') ? (a.split('::') as [string, string]) : [a, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

function bigToV6(v: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((v >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  // URL's host parser writes the canonical (RFC 5952) form.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

interface AddrInfo {
  family?: string;
  local?: string;
  prefixlen?: number;
  scope?: string;
}
interface Link {
  ifname?: string;
  addr_info?: AddrInfo[];
}
interface Route {
  dst?: string;
  dev?: string;
  type?: string;
}

/**
 * The owner's own networks as the router shows them, which guests must never
 * reach: every subnet on an interface that is neither the guests' nor the
 * WAN (the owner's other LANs, their public IPv6 prefixes included), routes
 * to such interfaces and unreachable routes (OpenWrt's delegated prefix), and
 * the router's own WAN addresses. The WAN subnet itself is the ISP's (or the
 * modem's private one, which the default blocked ranges cover).
 */
export function ownerPrefixes(
  addrJson: string,
  routeJson: readonly string[],
  guestInterface: string,
  wanInterfaces: readonly string[],
): { own4: string[]; own6: string[] } {
  const out = { own4: new Set<string>(), own6: new Set<string>() };
  const add = (prefix: string | null) => {
    if (!prefix) return;
    const fam = isIP(prefix.split('/')[0] ?? '');
    if (fam === 4) out.own4.add(prefix);
    else if (fam === 6) out.own6.add(prefix);
  };
  const skip = new Set([guestInterface, 'lo']);
  const wan = new Set(wanInterfaces);
  for (const link of parse<Link>(addrJson)) {
    if (!link.ifname || skip.has(link.ifname)) continue;
    for (const a of link.addr_info ?? []) {
      if (a.scope !== 'global' || !a.local || a.prefixlen === undefined) continue;
      const hostLen = isIP(a.local) === 4 ? 32 : 128;
      add(wan.has(link.ifname) ? `${a.local}/${hostLen}` : networkOf(a.local, a.prefixlen));
    }
  }
  for (const json of routeJson) {
    for (const r of parse<Route>(json)) {
      if (!r.dst || r.dst === 'default' || r.dst.startsWith('fe80:')) continue;
      const [addr, len] = r.dst.split('/');
      const prefix = addr && isIP(addr) ? networkOf(addr, Number(len ?? (isIP(addr) === 4 ? 32 : 128))) : null;
      if (r.type === 'unreachable' || r.type === 'blackhole' || r.type === 'prohibit') add(prefix);
      else if (r.dev && !skip.has(r.dev) && !wan.has(r.dev)) add(prefix);
    }
  }
  return { own4: [...out.own4].sort(), own6: [...out.own6].sort() };
}

function parse<T>(json: string): T[] {
  try {
    const v = JSON.parse(json || '[]') as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}
