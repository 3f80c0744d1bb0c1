import { isIP } from 'node:net';
import type { Plan } from '../plans.js';

/**
 * A plan's zero-rated destinations as the gate holds them: one zone per plan
 * that names any (numbered from 1 in the plans' order), whose address sets
 * the router's resolver fills as guests look the zone's host names up.
 */
export interface ZeroZone {
  zone: number;
  plan: string;
  hosts: string[];
  v4: string[];
  v6: string[];
  /** Reachable when the guest's credit is out. */
  withoutCredit: boolean;
}

/** The mark bit of a zero-rated flow: its session's id with this bit set picks the session's zero-rated counters. */
export const ZERO_MARK = 0x4000_0000;

/** Sets the resolver adds addresses to (dnsmasq --nftset) and the static prefixes' sets. */
export const zoneSets = (zone: number) => ({ dns4: `zd4_${zone}`, dns6: `zd6_${zone}`, pfx4: `zp4_${zone}`, pfx6: `zp6_${zone}` });

export function zeroZones(plans: readonly Plan[]): ZeroZone[] {
  const zones: ZeroZone[] = [];
  for (const p of plans) {
    if (!p.zeroRated.length) continue;
    const fam = (e: string) => isIP(e.split('/')[0] ?? '');
    zones.push({
      zone: zones.length + 1,
      plan: p.id,
      withoutCredit: p.zeroRatedWithoutCredit,
      hosts: p.zeroRated.filter((e) => !fam(e)),
      v4: p.zeroRated.filter((e) => fam(e) === 4),
      v6: p.zeroRated.filter((e) => fam(e) === 6),
    });
  }
  return zones;
}

/**
 * dnsmasq lines that put the zones' names' addresses into their sets. One
 * nftset= line per name with every zone's sets that name it (dnsmasq keeps
 * one entry per name); `upstream`, if given, answers the names.
 */
export function nftsetLines(zones: readonly ZeroZone[], upstream: string | null): string[] {
  const byHost = new Map<string, string[]>();
  for (const z of zones) {
    const s = zoneSets(z.zone);
    for (const h of z.hosts) byHost.set(h, [...(byHost.get(h) ?? []), `4#inet#qlink#${s.dns4}`, `6#inet#qlink#${s.dns6}`]);
  }
  const lines: string[] = [];
  for (const [host, sets] of byHost) {
    if (upstream) lines.push(`server=/${host}/${upstream}`);
    lines.push(`nftset=/${host}/${sets.join(',')}`);
  }
  return lines;
}
