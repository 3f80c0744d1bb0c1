import type { Grant } from './backend.js';
import { counterName, parseCounterName } from './nft-names.js';
import type { NftGateState } from './nft-state.js';
import { counterDirs, renderGrantElements } from './nft-script.js';
import { ZERO_MARK } from './zero-rated.js';

const zero = (id: number): number => (id | ZERO_MARK) >>> 0;

/** Whether the kernel holds exactly `want`'s elements for its MAC: the charged half, the zero-rated half, or both. */
function intact(s: NftGateState, mac: string, want: Grant): boolean {
  const id = want.sessionId;
  const cls = `1:${want.classMinor.toString(16)}`;
  const up = s.upCtr.get(mac);
  const charged =
    want.charged !== false
      ? s.markOf.get(mac) === id &&
        up?.sessionId === id &&
        up.counter === counterName(id, 'up') &&
        s.authMac.has(mac) &&
        s.dnCtr.get(id) === counterName(id, 'dn') &&
        s.clsOf.get(id) === cls
      : !s.markOf.has(mac) && !up && !s.authMac.has(mac);
  if (!charged) return false;
  const zup = s.zUpCtr.get(mac);
  if (!want.zone) return !zup && !s.zmarkOf.has(mac) && !s.zoneOf.has(mac) && !s.zpreOf.has(mac);
  return (
    zup?.sessionId === id &&
    zup.counter === counterName(id, 'zup') &&
    s.zDnCtr.get(id) === counterName(id, 'zdn') &&
    s.zClsOf.get(id) === cls &&
    s.zmarkOf.get(mac) === id &&
    s.zoneOf.get(mac) === want.zone &&
    s.zpreOf.get(mac) === want.zone
  );
}

/**
 * Commands that take the kernel from `current` to exactly `grants`, keeping
 * counters that already exist. Deletions come first: nft refuses to delete a
 * counter a map still points at, and to add a key that is still there.
 */
export function renderReconcile(
  current: NftGateState,
  grants: readonly Grant[],
  keepCounters: readonly number[],
): { lines: string[]; granted: number; revoked: number } {
  const wanted = new Map(grants.map((g) => [g.mac, g]));
  const lines: string[] = [];
  let revoked = 0;
  let granted = 0;
  const c = current;
  const stale = new Set<string>([
    ...c.markOf.keys(),
    ...c.upCtr.keys(),
    ...c.authMac,
    ...c.zUpCtr.keys(),
    ...c.zmarkOf.keys(),
    ...c.zoneOf.keys(),
    ...c.zpreOf.keys(),
  ]);
  const keptMacs = new Set<string>();
  for (const mac of stale) {
    const want = wanted.get(mac);
    if (want && intact(c, mac, want)) {
      keptMacs.add(mac);
      continue;
    }
    if (c.authMac.has(mac)) lines.push(`delete element inet qlink auth_mac { ${mac} }`);
    if (c.markOf.has(mac)) lines.push(`delete element inet qlink mark_of { ${mac} }`);
    const up = c.upCtr.get(mac);
    if (up) lines.push(`delete element inet qlink up_ctr { ${up.sessionId >= 0 ? `${mac} . ${up.sessionId}` : mac} }`);
    const zup = c.zUpCtr.get(mac);
    if (zup) lines.push(`delete element inet qlink up_ctr { ${mac} . ${zero(zup.sessionId)} }`);
    for (const m of ['zmark_of', 'zone_of', 'zpre_of'] as const) {
      const has = { zmark_of: c.zmarkOf, zone_of: c.zoneOf, zpre_of: c.zpreOf }[m].has(mac);
      if (has) lines.push(`delete element inet qlink ${m} { ${mac} }`);
    }
    revoked++;
  }
  const keptIds = new Set([...keptMacs].map((m) => wanted.get(m)!.sessionId));
  for (const id of c.dnCtr.keys()) if (!keptIds.has(id)) lines.push(`delete element inet qlink dn_ctr { ${id} }`);
  for (const id of c.clsOf.keys()) if (!keptIds.has(id)) lines.push(`delete element inet qlink cls_of { ${id} }`);
  for (const id of c.zDnCtr.keys()) if (!keptIds.has(id)) lines.push(`delete element inet qlink dn_ctr { ${zero(id)} }`);
  for (const id of c.zClsOf.keys()) if (!keptIds.has(id)) lines.push(`delete element inet qlink cls_of { ${zero(id)} }`);
  const keep = new Set<number>([...keepCounters, ...grants.map((g) => g.sessionId)]);
  for (const name of c.counters.keys()) {
    const parsed = parseCounterName(name);
    if (parsed && !keep.has(parsed.sessionId)) lines.push(`delete counter inet qlink ${name}`);
  }
  for (const g of grants) {
    if (keptMacs.has(g.mac)) continue;
    for (const dir of counterDirs(!!g.zone))
      if (!c.counters.has(counterName(g.sessionId, dir))) lines.push(`add counter inet qlink ${counterName(g.sessionId, dir)}`);
    lines.push(...renderGrantElements(g));
    granted++;
  }
  return { lines, granted, revoked };
}
