/**
 * The books of the wallet path (issue 18): transactions the hotspot pays a
 * guest's fees for, and the index of channels by guest and voucher key.
 */

export type SponsoredKind = 'open' | 'rekey';
/**
 * offered: built and handed to the page, nothing signed. sent: signed by the
 * gateway and relayed (its fee is spent unless it expires). confirmed /
 * faulted: in a block (the fee is paid either way). expired: never in a block
 * (nothing paid). refused: the node refused it (nothing paid).
 */
export type SponsoredStatus = 'offered' | 'sent' | 'confirmed' | 'faulted' | 'expired' | 'refused';

export interface Sponsored {
  txid: string;
  kind: SponsoredKind;
  /** The router's address (its <router-id>). */
  router: string;
  /** The router's owner, 0x script hash: whose budget pays. */
  owner: string;
  /** The guest's account, 0x script hash. */
  guest: string;
  /** The deposit (open) or 0 (rekey), in the token's smallest unit. */
  amount: number;
  /** The unsigned transaction as built, hex: the only bytes the gateway will sign. */
  raw: string;
  systemFee: number;
  networkFee: number;
  validUntilBlock: number;
  /** UTC day (YYYY-MM-DD) the offer was made: the day its fee counts for. */
  day: string;
  status: SponsoredStatus;
  createdAt: number;
  settledAt: number | null;
  channelId: number | null;
  detail: string | null;
}

export interface SponsorLimits {
  /** Sponsored transactions a guest account may have sent in a day. */
  perGuestPerDay: number;
  /** GAS (smallest unit) an owner's routers may have the gateway spend in a day. */
  ownerDailyBudget: number;
}

export interface SponsorSpend {
  /** Fees of sent, confirmed and faulted transactions. */
  fees: number;
  /** How many of them opened a channel (confirmed opens). */
  opened: number;
  /** How many were sent, confirmed or faulted. */
  sent: number;
}

/** The sponsor's books: every offer, what was spent for whom, and the limits checked in the same write that marks one sent. */
export interface SponsorStore {
  addOffer(s: Sponsored): Promise<void>;
  get(txid: string): Promise<Sponsored | null>;
  /**
   * Marks an offered transaction sent, if the limits still allow it with its
   * fee counted: in one write, so two guests cannot both take the last of a
   * budget. Returns null when marked, else why not. Undone by settle.
   */
  claim(txid: string, limits: SponsorLimits): Promise<string | null>;
  /** Sent → confirmed, faulted, expired or refused (an offered one may become refused too); once. */
  settle(txid: string, status: Exclude<SponsoredStatus, 'offered' | 'sent'>, at: number, channelId?: number | null, detail?: string | null): Promise<void>;
  /** Spend of an owner's routers on a day, or all days when day is null. */
  spend(owner: string, day: string | null): Promise<SponsorSpend>;
  /** Transactions sent, confirmed or faulted for a guest account on a day. */
  guestCount(guest: string, day: string): Promise<number>;
  /** Sent and not yet settled, oldest first: to follow after a restart. */
  unsettled(limit: number): Promise<Sponsored[]>;
  /** Offers never sent, made before `before` (ms): deleted. Returns how many. */
  pruneOffers(before: number): Promise<number>;
}

/** A channel as the contract's events left it (ChannelOpened, then ToppedUp, Redeemed, Closed, Refunded, Rekeyed). */
export interface IndexedChannel {
  id: number;
  guest: string;
  owner: string;
  router: string;
  token: string;
  voucherKey: string;
  deposit: number;
  expiry: number;
  planId: number;
  planVersion: number;
  redeemed: number;
  closed: boolean;
  openedBlock: number;
  updatedBlock: number;
}

export type ChannelChange =
  | { kind: 'opened'; channel: Omit<IndexedChannel, 'updatedBlock' | 'redeemed' | 'closed'> }
  | { kind: 'topped-up'; id: number; deposit: number; expiry: number }
  | { kind: 'redeemed'; id: number; cumulative: number }
  | { kind: 'closed'; id: number; cumulative: number }
  | { kind: 'refunded'; id: number }
  | { kind: 'rekeyed'; id: number; voucherKey: string };

/** The channel index the gateway keeps by following the chain. */
export interface ChannelIndexStore {
  /** The changes of one block and the new height, in one write; a block applied twice changes nothing (each row remembers its block). */
  apply(name: string, height: number, changes: ChannelChange[]): Promise<void>;
  /** The last block applied, -1 before the first. */
  height(name: string): Promise<number>;
  /** A guest's channels, open ones first (closed ones only when asked), newest first. */
  byGuest(guest: string, o?: { open?: boolean; limit?: number }): Promise<IndexedChannel[]>;
  byVoucherKey(key: string): Promise<IndexedChannel[]>;
  get(id: number): Promise<IndexedChannel | null>;
}
