import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { AgentConfig } from '../config/schema.js';
import type { CommandRunner } from '../kernel/run.js';
import type { Logger } from '../log.js';
import { ownerPrefixes } from '../net/prefixes.js';
import type { GatePolicy } from './backend.js';

const familyOf = (entry: string): number => isIP(entry.split('/')[0] ?? '');

/** Where the policy looks beyond the config: the router's own networks, and the held guests' resolver. */
export interface PolicySources {
  runner?: CommandRunner;
  heldDnsPort?: number;
  paidDnsPort?: number;
  /** The plans' zero-rated zones (gate/zero-rated.ts): their prefixes go in the gate's sets. */
  zeroZones?: ReadonlyArray<{ zone: number; v4: string[]; v6: string[] }>;
}

/** The interfaces of the default routes (v4 and v6): the WAN, whose subnet is the ISP's. */
async function wanInterfaces(runner: CommandRunner): Promise<string[]> {
  const devs = new Set<string>();
  for (const fam of ['-4', '-6']) {
    const json = await runner.run(['ip', '-j', fam, 'route', 'show', 'default']).catch(() => '[]');
    try {
      for (const r of JSON.parse(json) as Array<{ dev?: string }>) if (r.dev) devs.add(r.dev);
    } catch {
      /* no JSON: no default route of that family */
    }
  }
  return [...devs];
}

/** The owner's prefixes on this router (net/prefixes.ts); none when `ip -j` is missing (BusyBox ip). */
export async function detectOwnPrefixes(runner: CommandRunner, guestInterface: string): Promise<{ own4: string[]; own6: string[] }> {
  const [addrs, r4, r6, wan] = await Promise.all([
    runner.run(['ip', '-j', 'addr', 'show']).catch(() => '[]'),
    runner.run(['ip', '-j', '-4', 'route', 'show', 'table', 'main']).catch(() => '[]'),
    runner.run(['ip', '-j', '-6', 'route', 'show', 'table', 'main']).catch(() => '[]'),
    wanInterfaces(runner),
  ]);
  return ownerPrefixes(addrs, [r4, r6], guestInterface, wan);
}

/** The router's own global addresses on the guest interface: where held guests' names point (the portal). */
export async function guestAddresses(runner: CommandRunner, guestInterface: string): Promise<string[]> {
  const json = await runner.run(['ip', '-j', 'addr', 'show', 'dev', guestInterface]).catch(() => '[]');
  try {
    const links = JSON.parse(json) as Array<{ addr_info?: Array<{ local?: string; scope?: string }> }>;
    return links
      .flatMap((l) => l.addr_info ?? [])
      .filter((a) => a.scope === 'global' && a.local)
      .map((a) => a.local!);
  } catch {
    return [];
  }
}

/**
 * Turns the config into what the kernel enforces. Walled-garden host names are
 * resolved here, once per (re)load; a name that does not resolve is logged and
 * left out rather than failing the whole gate.
 */
export async function buildPolicy(config: AgentConfig, log: Logger, from: PolicySources = {}): Promise<GatePolicy> {
  const walled4: string[] = [];
  const walled6: string[] = [];
  for (const entry of config.walledGarden) {
    const fam = familyOf(entry);
    if (fam === 4) walled4.push(entry);
    else if (fam === 6) walled6.push(entry);
    else {
      try {
        for (const a of await lookup(entry, { all: true })) (a.family === 4 ? walled4 : walled6).push(a.address);
      } catch (e) {
        log.warn({ host: entry, err: (e as Error).message }, 'walled-garden host does not resolve; left out');
      }
    }
  }
  const own = from.runner ? await detectOwnPrefixes(from.runner, config.guestInterface) : { own4: [], own6: [] };
  return {
    guestInterface: config.guestInterface,
    portalPort: config.portal.port,
    walled4: [...new Set(walled4)],
    walled6: [...new Set(walled6)],
    blocked4: config.blockedNetworks.filter((n) => familyOf(n) === 4),
    blocked6: config.blockedNetworks.filter((n) => familyOf(n) === 6),
    ...own,
    ...(from.heldDnsPort === undefined ? {} : { heldDnsPort: from.heldDnsPort }),
    ...(from.paidDnsPort === undefined ? {} : { paidDnsPort: from.paidDnsPort }),
    ...(from.zeroZones?.length ? { zeroZones: from.zeroZones.map((z) => ({ zone: z.zone, v4: z.v4, v6: z.v6 })) } : {}),
  };
}
