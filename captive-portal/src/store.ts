import type { PlanOffer } from '../../protocol/src/guest-api.js';

/**
 * What this browser keeps, in localStorage: each channel's voucher key with
 * what it was opened for, so a guest coming back (another day, another of
 * the owner's routers) goes online on it with no new payment. The wallet's
 * browser keeps it; an OS sign-in sheet that forgets it costs the guest at
 * most one credit window, and the wallet can name a new key (rekey).
 */
export interface Held {
  channelId: string;
  /** The voucher key's private half, hex. */
  key: string;
  network: number;
  contract: string;
  deposit: string;
  /** The terms it was opened under (the page bounds what it signs by them); null when not known. */
  plan: PlanOffer | null;
  account: string | null;
  expiry: number;
  /**
   * The highest voucher this browser signed on the channel: a router that
   * says it holds more is not believed. Absent in entries kept before, and
   * for a rekeyed channel until its first voucher here.
   */
  signed?: string;
}

const CHANNELS = 'qlink.channels';
const CURRENT = 'qlink.current';

const all = (): Record<string, Held> => JSON.parse(localStorage.getItem(CHANNELS) ?? '{}') as Record<string, Held>;

export const store = {
  all,
  get(id: string): Held | null {
    return all()[id] ?? null;
  },
  put(h: Held): void {
    localStorage.setItem(CHANNELS, JSON.stringify({ ...all(), [h.channelId]: h }));
  },
  drop(id: string): void {
    const a = all();
    delete a[id];
    localStorage.setItem(CHANNELS, JSON.stringify(a));
    if (localStorage.getItem(CURRENT) === id) localStorage.removeItem(CURRENT);
  },
  /** The channel the page pays with now. */
  get current(): Held | null {
    const id = localStorage.getItem(CURRENT);
    return id ? this.get(id) : null;
  },
  set current(h: Held | null) {
    h ? localStorage.setItem(CURRENT, h.channelId) : localStorage.removeItem(CURRENT);
  },
  /** What the session started from, for the spend bound: the spent amount before its first voucher, and when (this browser's clock) it was sent. */
  get base(): Base | null {
    return JSON.parse(localStorage.getItem('qlink.base') ?? 'null') as Base | null;
  },
  set base(v: Base | null) {
    localStorage.setItem('qlink.base', JSON.stringify(v));
  },
  /** A voucher was signed: the highest this browser signed on the channel rises. */
  signed(id: string, amount: bigint): void {
    const h = this.get(id);
    if (h && (h.signed === undefined || amount > BigInt(h.signed))) this.put({ ...h, signed: amount.toString() });
  },
  /** The router asked for more than the page allows on this channel: the status view says so. */
  warned(id: string): boolean {
    return localStorage.getItem('qlink.warned') === id;
  },
  warn(id: string): void {
    localStorage.setItem('qlink.warned', id);
  },
};

/** `at`: ms on this browser's clock; absent in entries kept before (then the router's times are used). */
export interface Base {
  channelId: string;
  spent: string;
  at?: number;
}
