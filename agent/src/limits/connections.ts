import { LimitExceeded } from './refusal.js';

/** Open connections by key (a guest's MAC, else its address): open() counts one in or throws LimitExceeded; the returned close() counts it out. */
export class ConnectionCaps {
  readonly #open = new Map<string, number>();
  #total = 0;

  constructor(
    readonly perGuest: number,
    readonly total: number,
  ) {}

  get size(): number {
    return this.#total;
  }

  open(key: string): () => void {
    if (this.#total >= this.total) throw new LimitExceeded('connections', 1_000, `the portal has ${this.total} connections open, the most it takes`);
    const n = this.#open.get(key) ?? 0;
    if (n >= this.perGuest) throw new LimitExceeded('connections-per-guest', 1_000, `you have ${n} connections to the portal open, the most one guest may`);
    this.#open.set(key, n + 1);
    this.#total++;
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.#total--;
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left > 0) this.#open.set(key, left);
      else this.#open.delete(key);
    };
  }
}
