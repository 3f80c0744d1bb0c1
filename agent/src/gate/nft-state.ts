import type { CounterReading, SessionCounters } from './backend.js';
import { parseCounterName, TABLE } from './nft-names.js';

/** The dynamic part of the agent's nft table as the kernel holds it. */
export interface NftGateState {
  markOf: Map<string, number>;
  upCtr: Map<string, string>;
  dnCtr: Map<number, string>;
  clsOf: Map<number, string>;
  authMac: Set<string>;
  counters: Map<string, CounterReading>;
}

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
  const state: NftGateState = { markOf: new Map(), upCtr: new Map(), dnCtr: new Map(), clsOf: new Map(), authMac: new Set(), counters: new Map() };
  for (const o of objects(json)) {
    const counter = o.counter;
    if (counter && counter.table === TABLE) {
      state.counters.set(String(counter.name), toReading(counter));
      continue;
    }
    const set = o.map ?? o.set;
    if (!set || set.table !== TABLE) continue;
    switch (set.name) {
      case 'mark_of': for (const [k, v] of pairs(set.elem)) state.markOf.set(String(k), Number(v)); break;
      case 'up_ctr': for (const [k, v] of pairs(set.elem)) state.upCtr.set(String(k), String(v)); break;
      case 'dn_ctr': for (const [k, v] of pairs(set.elem)) state.dnCtr.set(Number(k), String(v)); break;
      case 'cls_of': for (const [k, v] of pairs(set.elem)) state.clsOf.set(Number(k), String(v)); break;
      case 'auth_mac': if (Array.isArray(set.elem)) for (const k of set.elem) state.authMac.add(String(k)); break;
    }
  }
  return state;
}

function toReading(c: Record<string, unknown>): CounterReading {
  return { handle: Number(c.handle), bytes: Number(c.bytes ?? 0), packets: Number(c.packets ?? 0) };
}

/** Parses `nft -j list counters table inet qlink` into per-session readings. */
export function parseSessionCounters(json: string): Map<number, SessionCounters> {
  const out = new Map<number, SessionCounters>();
  for (const o of objects(json)) {
    const c = o.counter;
    if (!c || c.table !== TABLE) continue;
    const name = parseCounterName(String(c.name));
    if (!name) continue;
    const entry = out.get(name.sessionId) ?? {};
    entry[name.dir === 'up' ? 'up' : 'down'] = toReading(c);
    out.set(name.sessionId, entry);
  }
  return out;
}
