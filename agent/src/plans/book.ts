import type { Logger } from '../log.js';
import type { PlanHeads, PlanStore, PlanVersion } from './store.js';

/** Where plans come from: the gateway's `plans`/`planVersion`, or the contract read directly (vouchers/*-source.ts). */
export interface PlanSource {
  /** The router owner's plans at their current versions; owner null while the router is not registered. */
  currentPlans(): Promise<{ owner: string | null; plans: Array<{ planId: number; version: number; terms: Uint8Array }> }>;
  /** One published version's terms, or null when the owner never published it. */
  planVersion(owner: string, planId: number, version: number): Promise<Uint8Array | null>;
}

export class PlanUnavailable extends Error {
  override name = 'PlanUnavailable';
}

export interface OfferedPlans extends PlanHeads {
  /** Read from the store because the source did not answer: what the chain had at readAt. */
  stale: boolean;
}

/**
 * The owner's plans as the chain has them, for metering and the page. A
 * version's terms are fetched once and kept in the store for good (they
 * never change); the current list is read again after `ttlMs`, and kept too,
 * so the page still lists plans while the uplink is down.
 */
export class PlanBook {
  #current: { at: number; value: OfferedPlans } | null = null;
  #reading: Promise<OfferedPlans> | null = null;
  #failing = false;
  readonly #onChange: Array<(p: OfferedPlans) => void> = [];

  constructor(
    readonly store: PlanStore,
    private readonly source: PlanSource | undefined,
    private readonly opts: {
      ttlMs?: number;
      clock?: () => number;
      log?: Logger;
      timeoutMs?: number;
    } = {},
  ) {}

  get #clock(): () => number {
    return this.opts.clock ?? Date.now;
  }

  /** The version a session's channel names, from the store (sync: metering runs inside a transaction). */
  terms(owner: string, planId: number, version: number): PlanVersion | undefined {
    return this.store.get(owner, planId, version);
  }

  /** The version's terms, read from the source and stored when this router has not seen them yet. */
  async ensure(owner: string, planId: number, version: number): Promise<PlanVersion> {
    const kept = this.store.get(owner, planId, version);
    if (kept) return kept;
    if (!this.source) throw new PlanUnavailable('no gateway or chain RPC to read plan terms from');
    const bytes = await this.#timed(this.source.planVersion(owner, planId, version), `plan ${planId} version ${version}`);
    if (!bytes) throw new PlanUnavailable(`the owner never published plan ${planId} version ${version}`);
    return this.store.put(owner, planId, version, bytes, this.#clock());
  }

  /** Hears each fresh read of the current list (the drift report listens). */
  onChange(f: (p: OfferedPlans) => void): void {
    this.#onChange.push(f);
  }

  /**
   * The owner's current plans, read again once ttlMs old. A page load does
   * not wait for that read (the list last read answers it; the next load
   * sees the new one); `wait` does (a guest about to pay), and so does the
   * first read of all. The stored list when the source fails.
   */
  async current(opts: { wait?: boolean } = {}): Promise<OfferedPlans> {
    const now = this.#clock();
    if (this.#current && now - this.#current.at < (this.opts.ttlMs ?? 5_000)) return this.#current.value;
    const reading = (this.#reading ??= this.#read().finally(() => {
      this.#reading = null;
    }));
    if (opts.wait) return reading;
    const last = this.last();
    if (last && last.readAt > 0) return last;
    // Nothing read yet: a page load waits a moment for the first read, not the source's whole timeout.
    let timer: NodeJS.Timeout | undefined;
    const none = new Promise<OfferedPlans>((resolve) => {
      timer = setTimeout(() => resolve({ owner: null, readAt: 0, plans: [], stale: true }), FIRST_READ_WAIT_MS);
    });
    return Promise.race([reading, none]).finally(() => clearTimeout(timer));
  }

  /** What the last read said, without reading; null before any. */
  last(): OfferedPlans | null {
    if (this.#current) return this.#current.value;
    const h = this.store.heads();
    return h && { ...h, stale: true };
  }

  async #read(): Promise<OfferedPlans> {
    const fallback = (why: string): OfferedPlans => {
      if (!this.#failing) this.opts.log?.warn({ err: why.slice(0, 200) }, 'plans not read; the page lists the plans last read');
      this.#failing = true;
      let h: PlanHeads | null = null;
      try {
        h = this.store.heads();
      } catch {
        /* the store closed under a read still running at stop: nothing to list */
      }
      const value = h ? { ...h, stale: true } : { owner: null, readAt: 0, plans: [], stale: true };
      // Kept for the TTL too: while the source is down a page load waits for it once a TTL, not every time.
      this.#current = { at: this.#clock(), value };
      return value;
    };
    if (!this.source) return fallback('no gateway or chain RPC configured');
    let heads: PlanHeads;
    try {
      const got = await this.#timed(this.source.currentPlans(), 'the current plans');
      // Terms that do not decode (PlanTermsError) leave the stored list as it was.
      heads = this.store.setHeads(
        got.owner,
        got.plans.map((p) => ({ planId: p.planId, version: p.version, bytes: p.terms })),
        this.#clock(),
      );
    } catch (e) {
      return fallback((e as Error).message);
    }
    if (this.#failing) this.opts.log?.info('plans read again');
    this.#failing = false;
    const now = heads.readAt;
    const value = { ...heads, stale: false };
    const changed = JSON.stringify(versions(this.#current?.value)) !== JSON.stringify(versions(value));
    this.#current = { at: now, value };
    if (changed) for (const f of this.#onChange) f(value);
    return value;
  }

  #timed<T>(p: Promise<T>, what: string): Promise<T> {
    // Long enough for the gateway to give up (its uplink wait is 5 s) and the chain to answer instead.
    const ms = this.opts.timeoutMs ?? 20_000;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PlanUnavailable(`${what}: no answer in ${ms} ms`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }
}

const FIRST_READ_WAIT_MS = 3_000;

const versions = (p: OfferedPlans | undefined) => (p ? [p.owner, ...p.plans.map((x) => `${x.planId}:${x.version}`)] : null);
