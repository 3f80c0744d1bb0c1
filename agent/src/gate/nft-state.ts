import type { CounterReading, SessionCounters } from './backend.js';
import { parseCounterName, READING_KEY, TABLE } from './nft-names.js';
import { ZERO_MARK } from './zero-rated.js';

/** The dynamic part of the agent's nft table as the kernel holds it. */
export interface NftGateState {
  markOf: Map<string, number>;
  /** up_ctr's elements by MAC: the session id in the key and the counter it points at. */
  upCtr: Map<string, { sessionId: number; counter: string }>;
  dnCtr: Map<number, string>;
  clsOf: Map<number, string>;
  authMac: Set<string>;
  counters: Map<string, CounterReading>;
  /** The zero-rated half of a grant: up_ctr, dn_ctr and cls_of elements keyed by a zero mark, and the zone maps. */
  zUpCtr: Map<string, { sessionId: number; counter: string }>;
  zDnCtr: Map<number, string>;
  zClsOf: Map<number, string>;
  zmarkOf: Map<string, number>;
  /** The zone number each MAC jumps to, from zone_of and zpre_of. */
  zoneOf: Map<string, number>;
  zpreOf: Map<string, number>;
}

export const emptyGateState = (): NftGateState => ({
  markOf: new Map(),
  upCtr: new Map(),
  dnCtr: new Map(),
  clsOf: new Map(),
  authMac: new Set(),
  counters: new Map(),
  zUpCtr: new Map(),
  zDnCtr: new Map(),
  zClsOf: new Map(),
  zmarkOf: new Map(),
  zoneOf: new Map(),
  zpreOf: new Map(),
});

const isZero = (mark: number): boolean => mark >= ZERO_MARK;
/** A verdict map element's `jump zr_<n>` as n (-1 for anything else, so the reconcile replaces it). */
const zoneOfVerdict = (v: unknown): number => Number(/^z(?:r|pre)_(\d+)$/.exec(String((v as { jump?: { target?: unknown } })?.jump?.target ?? ''))?.[1] ?? -1);

type NftObject = Record<string, Record<string, unknown>>;

function objects(json: string): NftObject[] {
  const doc = JSON.parse(json) as { nftables?: NftObject[] };
  return Array.isArray(doc.nftables) ? doc.nftables : [];
}

function pairs(elem: unknown): Array<[unknown, unknown]> {
  return Array.isArray(elem) ? (elem.filter((e) => Array.isArray(e) && e.length === 2) as Array<[unknown, unknown]>) : [];
}

/** Parses `nft -j list table inet qlink`. */
export function parseGateState(json: string): NftGateState {
  const state = emptyGateState();
  for (const o of objects(json)) {
    const counter = o.counter;
    if (counter && counter.table === TABLE) {
      state.counters.set(String(counter.name), toReading(counter));
      continue;
    }
    const set = o.map ?? o.set;
    if (!set || set.table !== TABLE) continue;
    switch (set.name) {
      case 'mark_of':
        for (const [k, v] of pairs(set.elem)) state.markOf.set(String(k), Number(v));
        break;
      case 'up_ctr':
        for (const [k, v] of pairs(set.elem)) {
          const key = (k as { concat?: unknown[] }).concat;
          // A key of one field is an older layout's: recorded so the reconcile deletes it.
          if (Array.isArray(key) && key.length === 2) {
            const mark = Number(key[1]);
            if (isZero(mark)) state.zUpCtr.set(String(key[0]), { sessionId: mark - ZERO_MARK, counter: String(v) });
            else state.upCtr.set(String(key[0]), { sessionId: mark, counter: String(v) });
          } else state.upCtr.set(String(k), { sessionId: -1, counter: String(v) });
        }
        break;
      case 'dn_ctr':
        for (const [k, v] of pairs(set.elem)) (isZero(Number(k)) ? state.zDnCtr : state.dnCtr).set(Number(k) % ZERO_MARK, String(v));
        break;
      case 'cls_of':
        for (const [k, v] of pairs(set.elem)) (isZero(Number(k)) ? state.zClsOf : state.clsOf).set(Number(k) % ZERO_MARK, String(v));
        break;
      case 'zmark_of':
        for (const [k, v] of pairs(set.elem)) state.zmarkOf.set(String(k), Number(v) - ZERO_MARK);
        break;
      case 'zone_of':
        for (const [k, v] of pairs(set.elem)) state.zoneOf.set(String(k), zoneOfVerdict(v));
        break;
      case 'zpre_of':
        for (const [k, v] of pairs(set.elem)) state.zpreOf.set(String(k), zoneOfVerdict(v));
        break;
      case 'auth_mac':
        if (Array.isArray(set.elem)) for (const k of set.elem) state.authMac.add(String(k));
        break;
    }
  }
  return state;
}

function toReading(c: Record<string, unknown>): CounterReading {
  return { handle: Number(c.handle), bytes: Number(c.bytes ?? 0), packets: Number(c.packets ?? 0) };
}

/** Parses `nft -j list counters table inet qlink` into per-session readings (the rest into `others`). */
export function parseSessionCounters(json: string, others?: Map<string, CounterReading>): Map<number, SessionCounters> {
  const out = new Map<number, SessionCounters>();
  others?.clear();
  for (const o of objects(json)) {
    const c = o.counter;
    if (!c || c.table !== TABLE) continue;
    const name = parseCounterName(String(c.name));
    if (!name) {
      others?.set(String(c.name), toReading(c));
      continue;
    }
    const entry = out.get(name.sessionId) ?? {};
    entry[READING_KEY[name.dir]] = toReading(c);
    out.set(name.sessionId, entry);
  }
  return out;
}
