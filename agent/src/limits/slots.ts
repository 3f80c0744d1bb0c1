import { LimitExceeded } from './refusal.js';

/**
 * A fair share of the gateway RPC's slots: of `total` calls in flight, one
 * guest holds at most `perGuest`, and guests together leave `reserved` to the
 * router's own calls (voucher pushes, closes). take() before a call, the
 * returned release() after it.
 */
export class SlotShare {
  readonly #byGuest = new Map<string, number>();
  #guests = 0;
  #own = 0;

  constructor(
    readonly total: number,
    readonly perGuest: number,
    readonly reserved: number,
  ) {
    if (perGuest < 1 || reserved < 0 || perGuest + reserved > total) throw new Error(`slots: perGuest ${perGuest} + reserved ${reserved} must fit in ${total}`);
  }

  get inFlight(): number {
    return this.#guests + this.#own;
  }

  held(guest: string): number {
    return this.#byGuest.get(guest) ?? 0;
  }

  /** A slot for `guest` (undefined: the router's own call); throws LimitExceeded for a guest over its share, false when all are taken. */
  take(guest: string | undefined): (() => void) | false {
    if (this.inFlight >= this.total) return false;
    if (guest === undefined) {
      this.#own++;
      return once(() => {
        this.#own--;
      });
    }
    const mine = this.held(guest);
    if (mine >= this.perGuest)
      throw new LimitExceeded('rpc-slots', 1_000, `you have ${mine} gateway requests in flight, the most one guest may (of ${this.total})`);
    if (this.#guests >= this.total - this.reserved) return false;
    this.#guests++;
    this.#byGuest.set(guest, mine + 1);
    return once(() => {
      this.#guests--;
      const n = this.held(guest) - 1;
      if (n > 0) this.#byGuest.set(guest, n);
      else this.#byGuest.delete(guest);
    });
  }
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}
