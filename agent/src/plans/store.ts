import { decodePlanTerms, fromHex, type PlanTerms, toHex } from '../../../protocol/src/index.js';
import type { Db } from '../store/driver.js';

/** One of the owner's plans at a version: the terms as published, and decoded. */
export interface PlanVersion {
  owner: string;
  planId: number;
  version: number;
  terms: PlanTerms;
  bytes: Uint8Array;
}

/** The owner's plans as last read from the chain (the gateway or the node). */
export interface PlanHeads {
  owner: string | null;
  readAt: number;
  plans: PlanVersion[];
}

/**
 * The plan terms this router has read, in its SQLite store: every version a
 * session was opened under (terms of a version never change, so they are
 * kept as long as the store) and the owner's current list. What metering
 * reads is here, so a restart without uplink still prices each session by
 * the version its channel names.
 */
export class PlanStore {
  readonly #get;
  readonly #put;
  readonly #heads;
  readonly #decoded = new Map<string, PlanVersion | null>();

  constructor(private readonly db: Db) {
    this.#get = db.prepare<[string, number, number], { terms: string }>('SELECT terms FROM plan_versions WHERE owner = ? AND plan_id = ? AND version = ?');
    this.#put = db.prepare('INSERT OR IGNORE INTO plan_versions (owner, plan_id, version, terms, read_at) VALUES (?, ?, ?, ?, ?)');
    this.#heads = db.prepare<[], { owner: string | null; plan_id: number | null; version: number | null; read_at: number }>(
      'SELECT owner, plan_id, version, read_at FROM plan_heads ORDER BY plan_id',
    );
  }

  /** A stored version, decoded once; undefined when this router never read it. */
  get(owner: string, planId: number, version: number): PlanVersion | undefined {
    const key = `${owner.toLowerCase()}:${planId}:${version}`;
    const memo = this.#decoded.get(key);
    if (memo) return memo;
    const row = this.#get.get(owner.toLowerCase(), planId, version);
    if (!row) return undefined;
    const bytes = fromHex(row.terms);
    const v = { owner: owner.toLowerCase(), planId, version, terms: decodePlanTerms(bytes), bytes };
    this.#decoded.set(key, v);
    return v;
  }

  /** The terms a session's channel named (zero-rated destinations included), or undefined for a session no channel opened. */
  forSession(s: { planRef: { owner: string; planId: number; version: number } | null }): PlanVersion | undefined {
    return s.planRef ? this.get(s.planRef.owner, s.planRef.planId, s.planRef.version) : undefined;
  }

  /** Keeps a version's terms (checked by decoding first); a version already kept is left as it is. */
  put(owner: string, planId: number, version: number, bytes: Uint8Array, now: number): PlanVersion {
    const terms = decodePlanTerms(bytes);
    this.#put.run(owner.toLowerCase(), planId, version, toHex(bytes), now);
    return this.get(owner, planId, version) ?? { owner: owner.toLowerCase(), planId, version, terms, bytes };
  }

  /** Replaces the current list in one transaction, with each listed version's terms. */
  setHeads(owner: string | null, plans: Array<{ planId: number; version: number; bytes: Uint8Array }>, now: number): PlanHeads {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM plan_heads').run();
      const ins = this.db.prepare('INSERT INTO plan_heads (owner, plan_id, version, read_at) VALUES (?, ?, ?, ?)');
      const out: PlanVersion[] = [];
      if (owner === null) ins.run(null, null, null, now);
      for (const p of plans) {
        out.push(this.put(owner!, p.planId, p.version, p.bytes, now));
        ins.run(owner!.toLowerCase(), p.planId, p.version, now);
      }
      return { owner: owner && owner.toLowerCase(), readAt: now, plans: out };
    });
  }

  /** The list as last read; null before the first read. */
  heads(): PlanHeads | null {
    const rows = this.#heads.all();
    if (!rows.length) return null;
    const owner = rows[0]!.owner;
    const plans = rows
      .flatMap((r) => (r.owner && r.plan_id !== null && r.version !== null ? [this.get(r.owner, r.plan_id, r.version)] : []))
      .filter((v): v is PlanVersion => v !== undefined);
    return { owner, readAt: rows[0]!.read_at, plans };
  }
}
