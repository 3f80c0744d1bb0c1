import type { Grant } from './backend.js';
import { counterName, parseCounterName } from './nft-names.js';
import type { NftGateState } from './nft-state.js';
import { renderGrantElements } from './nft-script.js';

/**
 * Commands that take the kernel from `current` to exactly `grants`, keeping
 * counters that already exist. Deletions come first: nft refuses to delete a
 * counter a map still points at, and to add a key that is still there.
 */
export function renderReconcile(current: NftGateState, grants: readonly Grant[], keepCounters: readonly number[]): { lines: string[]; granted: number; revoked: number } {
  const wanted = new Map(grants.map((g) => [g.mac, g]));
  const lines: string[] = [];
  let revoked = 0;
  let granted = 0;
  const stale = new Set<string>([...current.markOf.keys(), ...current.upCtr.keys(), ...current.authMac]);
  const keptMacs = new Set<string>();
  for (const mac of stale) {
    const want = wanted.get(mac);
    const id = current.markOf.get(mac);
    const intact = want && id === want.sessionId && current.upCtr.get(mac) === counterName(want.sessionId, 'up')
      && current.authMac.has(mac) && current.dnCtr.get(want.sessionId) === counterName(want.sessionId, 'dn')
      && current.clsOf.get(want.sessionId) === `1:${want.classMinor.toString(16)}`;
    if (intact) { keptMacs.add(mac); continue; }
    if (current.authMac.has(mac)) lines.push(`delete element inet qlink auth_mac { ${mac} }`);
    if (current.markOf.has(mac)) lines.push(`delete element inet qlink mark_of { ${mac} }`);
    if (current.upCtr.has(mac)) lines.push(`delete element inet qlink up_ctr { ${mac} }`);
    revoked++;
  }
  const keptIds = new Set([...keptMacs].map((m) => wanted.get(m)!.sessionId));
  for (const id of current.dnCtr.keys()) if (!keptIds.has(id)) lines.push(`delete element inet qlink dn_ctr { ${id} }`);
  for (const id of current.clsOf.keys()) if (!keptIds.has(id)) lines.push(`delete element inet qlink cls_of { ${id} }`);
  const keep = new Set<number>([...keepCounters, ...grants.map((g) => g.sessionId)]);
  const dropIds = new Set<number>();
  for (const name of current.counters.keys()) {
    const parsed = parseCounterName(name);
    if (parsed && !keep.has(parsed.sessionId)) dropIds.add(parsed.sessionId);
  }
  for (const id of dropIds) {
    for (const dir of ['up', 'dn'] as const) if (current.counters.has(counterName(id, dir))) lines.push(`delete counter inet qlink ${counterName(id, dir)}`);
  }
  for (const g of grants) {
    if (keptMacs.has(g.mac)) continue;
    for (const dir of ['up', 'dn'] as const) if (!current.counters.has(counterName(g.sessionId, dir))) lines.push(`add counter inet qlink ${counterName(g.sessionId, dir)}`);
    lines.push(...renderGrantElements(g));
    granted++;
  }
  return { lines, granted, revoked };
}

