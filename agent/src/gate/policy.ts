import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { AgentConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { GatePolicy } from './backend.js';

const familyOf = (entry: string): number => isIP(entry.split('/')[0] ?? '');

/**
 * Turns the config into what the kernel enforces. Walled-garden host names are
 * resolved here, once per (re)load; a name that does not resolve is logged and
 * left out rather than failing the whole gate.
 */
export async function buildPolicy(config: AgentConfig, log: Logger): Promise<GatePolicy> {
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
  return {
    guestInterface: config.guestInterface,
    portalPort: config.portal.port,
    walled4: [...new Set(walled4)],
    walled6: [...new Set(walled6)],
    blocked4: config.blockedNetworks.filter((n) => familyOf(n) === 4),
    blocked6: config.blockedNetworks.filter((n) => familyOf(n) === 6),
  };
}
