import { isIP } from 'node:net';

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Lower-case, colon-separated MAC, or null when the text is not a MAC. */
export function normalizeMac(text: string): string | null {
  const mac = text.trim().toLowerCase().replace(/-/g, ':');
  return MAC_RE.test(mac) ? mac : null;
}

export type IpFamily = 4 | 6;

/** Canonical IP text (IPv6 compressed, lower case) with its family, or null. */
export function normalizeIp(text: string): { ip: string; family: IpFamily } | null {
  const raw = text.trim();
  const family = isIP(raw);
  if (family === 4) return { ip: raw, family: 4 };
  if (family === 6) return { ip: compressIpv6(raw), family: 6 };
  return null;
}

function compressIpv6(ip: string): string {
  // URL's host parser applies RFC 5952 canonical form, which is what the kernel prints.
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

export type GuestRef = { kind: 'mac'; mac: string } | { kind: 'ip'; ip: string; family: IpFamily };

/** Parses what a user types to name a guest: a MAC or an IP address. */
export function parseGuestRef(text: string): GuestRef | null {
  const mac = normalizeMac(text);
  if (mac) return { kind: 'mac', mac };
  const ip = normalizeIp(text);
  return ip ? { kind: 'ip', ...ip } : null;
}
