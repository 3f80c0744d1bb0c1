import type { Batch } from '../../../protocol/src/index.js';
import type {
  Anomaly,
  AnomalyInput,
  BatchHead,
  ChainHead,
  ChainTx,
  DayTotals,
  DayUsage,
  NewRound,
  OpenRound,
  OwnerEarnings,
  PassedVoucher,
  PendingTx,
  QueuedBatch,
  Range,
  RoundPlace,
  RouterInfo,
  RouterProblem,
  RouterRound,
  SessionUsage,
  SettlementTx,
  StoreOutcome,
  StoredBatch,
  Totals,
  TxSettlement,
  TxStatus,
  VoucherToRedeem,
} from './types.js';

import type { ChannelIndexStore, SponsorStore } from './wallet-types.js';

export type * from './types.js';
export type * from './wallet-types.js';

/**
 * The gateway's books, one small interface per concern, each named for what
 * its caller does. One database holds them all (openStore: SQLite for one
 * gateway, PostgreSQL for several side by side); a caller takes only the
 * concern it uses. test/suites/gateway-*.suite.ts hold both databases to the
 * same behaviour, one suite per concern.
 */
export interface GatewayStores {
  readonly dialect: 'sqlite' | 'postgres';
  readonly ingest: IngestStore;
  readonly settlement: SettlementStore;
  readonly reports: ReportStore;
  readonly owner: OwnerViewStore;
  readonly routers: RouterCache;
  /** The hotspot paying guests' fees: offers, what was spent, the limits. */
  readonly sponsor: SponsorStore;
  /** Channels by guest and voucher key, from the contract's events. */
  readonly channels: ChannelIndexStore;
  readonly proofs: ProofStore;
  /** The settler's lead among gateways sharing this database (one lock object per caller). */
  settlerLock(): SettlerLock;
  /** Closes the database under all of them. */
  close(): Promise<void>;
}

/**
 * Who settles: one gateway of those sharing a database at a time. On
 * PostgreSQL a session-level advisory lock on a connection of its own (a
 * lost connection is a lost lead, and a killed process loses it at once);
 * on SQLite the one gateway leads.
 */
export interface SettlerLock {
  /** True while this caller leads: takes the lead when it is free, checks a held one is still held. */
  lead(): Promise<boolean>;
  /** Gives the lead up (for another gateway to take). */
  release(): Promise<void>;
}

/** The ingestor's: verified batches in, each once and in chain order; what does not fit is kept as an anomaly. */
export interface IngestStore {
  /**
   * Stores a verified batch and its records in one transaction, and only if it
   * extends the router's chain: seq 1 with a zero prev, or prev = hash of the
   * stored seq - 1 and record ids above that batch's last. The same seq and
   * hash again is a duplicate and changes nothing. A stored batch waits for
   * the next settlement round. `unused`: ids of records whose vouchers the
   * books must not use (refused at ingest, or below a verified one of the
   * same channel in the batch); they are kept, but not as vouchers.
   */
  storeBatch(address: string, b: Batch, receivedAt: number, unused?: ReadonlySet<number>): Promise<StoreOutcome>;
  head(address: string): Promise<BatchHead | null>;
  /** Records an anomaly once per (router, kind, seq, hash); a repeat bumps its count. Returns its id. Undone by resolve. */
  report(a: AnomalyInput, status: 'held' | 'reported'): Promise<number>;
  /** Held gap batches of a router at exactly this seq, oldest first. */
  held(address: string, seq: number): Promise<Anomaly[]>;
  /** Marks an anomaly resolved (a held batch stored, or the operator's word): no longer held or open. */
  resolve(id: number, at: number): Promise<void>;
}

/**
 * The settler's, the channel closer's and the channel RPC's: a transaction is
 * recorded before it is sent, settled on its application log, and what a
 * pending or confirmed one carries is never built into another.
 */
export interface SettlementStore {
  /** The transaction and everything it settles, in one write, before a byte of it is sent. Undone by settle (faulted or expired). */
  addPending(tx: PendingTx): Promise<void>;
  /** Only a pending transaction settles, and once: a second application log changes nothing. */
  settle(txid: string, s: TxSettlement): Promise<void>;
  /** An expired transaction the chain holds after all (a node behind when it was given up): confirmed from its log. */
  settleLate(txid: string, s: TxSettlement): Promise<void>;
  /** Raw bytes of pending transactions, to resend or check after a restart. */
  pendingRaw(): Promise<Array<{ txid: string; raw: string; validUntilBlock: number }>>;
  /** Each channel's newest voucher that no pending or confirmed redeem covers. */
  vouchersToRedeem(limit: number): Promise<VoucherToRedeem[]>;
  /** Stored batches no round holds yet, at most limit (any order: the round sorts them). */
  roundQueue(limit: number): Promise<QueuedBatch[]>;
  /** The round and which batch is at which leaf, in one write; refused (throws, writes nothing) if a batch is no longer queued or the round exists. */
  cutRound(r: NewRound): Promise<void>;
  /** Rounds of the anchorer no confirmed transaction anchored yet, oldest first. */
  openRounds(anchorer: string): Promise<OpenRound[]>;
  /** The anchorer's newest round in the books, anchored or not. */
  lastRound(anchorer: string): Promise<{ round: number; root: string; createdAt: number } | null>;
  /** The transactions that carried a round's anchorRound, oldest first. */
  roundTxs(anchorer: string, round: number): Promise<Array<{ txid: string; status: TxStatus }>>;
  /** Keeps a voucher passed on over the channel RPC if it is the channel's newest; true when it was kept. */
  putVoucher(v: PassedVoucher): Promise<boolean>;
  /** The channel's newest voucher from usage records or the RPC, for a router that has not seen it. */
  newestVoucher(channelId: number): Promise<{ amount: number; signature: string; router: string } | null>;
  /** A pending settlement transaction (redeem or close) that carries the channel, if any: its txid. */
  pendingFor(channelId: number): Promise<string | null>;
}

/** The operator API's: what it lists and counts. */
export interface ReportStore {
  totals(): Promise<Totals>;
  usagePerDay(r: Range): Promise<DayUsage[]>;
  sessions(r: Range): Promise<SessionUsage[]>;
  earnings(): Promise<OwnerEarnings[]>;
  /** Settlement transactions, newest first. */
  transactions(opts: { status?: TxStatus; limit?: number }): Promise<ChainTx[]>;
  /** Anomalies, most recently seen first. */
  anomalies(opts: { status?: Anomaly['status']; router?: string; limit?: number }): Promise<Anomaly[]>;
}

/** The owner's page. `owner` (a 0x script hash, as RouterInfo.owner) narrows each to that owner's routers. */
export interface OwnerViewStore {
  chainHeads(owner?: string): Promise<ChainHead[]>;
  /** A router's batches with seq above afterSeq, in order, with their records: enough to verify each again. */
  storedBatches(router: string, afterSeq: number, limit: number): Promise<StoredBatch[]>;
  /** The stored hash of one batch: the chain audit's check that a verified prefix is still what is stored. */
  batchHash(address: string, seq: number): Promise<string | null>;
  dailyTotals(o: { owner?: string; fromMs: number; toMs: number }): Promise<DayTotals[]>;
  settlementTxs(o: { owner?: string; limit: number }): Promise<SettlementTx[]>;
  openProblems(owner?: string): Promise<RouterProblem[]>;
}

/** Inclusion proofs of batches in anchored rounds (GET /api/proof, the owner's page). */
export interface ProofStore {
  /** The batch's hash and its place in a round (null while no round holds it); null when the batch is not stored. */
  locate(router: string, seq: number): Promise<{ hash: string; place: RoundPlace | null } | null>;
  /** A round's batch hashes in leaf order. */
  roundHashes(anchorer: string, round: number): Promise<string[]>;
  /** Per router (of the owner, when given), the newest round a confirmed transaction anchored that holds its batches. */
  routerRounds(owner?: string): Promise<RouterRound[]>;
}

/** The chain registry's second level: registrations read from the chain, kept across restarts and shared by gateways. */
export interface RouterCache {
  /** Inserts or replaces the router's entry. */
  putRouter(r: RouterInfo): Promise<void>;
  getRouter(address: string): Promise<RouterInfo | null>;
  listRouters(): Promise<RouterInfo[]>;
}
