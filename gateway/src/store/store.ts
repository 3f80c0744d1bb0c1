import type { Batch } from '../../../agent/src/usage/wire.js';
import type {
  Anomaly, AnomalyInput, BatchHead, ChainHead, ChainTx, DayTotals, DayUsage, OwnerEarnings, PassedVoucher, PendingTx, Range, RouterInfo,
  RouterProblem, SessionUsage, SettlementTx, StoreOutcome, StoredBatch, Totals, TxSettlement, TxStatus, VoucherToRedeem,
} from './types.js';

export type * from './types.js';

/**
 * Everything the gateway keeps, behind one interface with a SQLite
 * implementation (one gateway) and a PostgreSQL one (several side by side).
 * test/suites/gateway-store.suite.ts holds both to the same behaviour.
 */
export interface GatewayStore {
  readonly dialect: 'sqlite' | 'postgres';

  // Registry cache (RouterRegistry's second level, survives restarts).
  putRouter(r: RouterInfo): Promise<void>;
  getRouter(address: string): Promise<RouterInfo | null>;
  listRouters(): Promise<RouterInfo[]>;

  /**
   * Stores a verified batch and its records in one transaction, and only if it
   * extends the router's chain: seq 1 with a zero prev, or prev = hash of the
   * stored seq - 1 and record ids above that batch's last. The same seq and
   * hash again is a duplicate and changes nothing.
   */
  storeBatch(address: string, b: Batch, receivedAt: number): Promise<StoreOutcome>;
  head(address: string): Promise<BatchHead | null>;
  batchHash(address: string, seq: number): Promise<string | null>;
  /** Each ack sent (a duplicate is acked again): how often a router had to resend. */
  noteAcks(address: string, seqs: number[], at: number): Promise<void>;

  /** Records an anomaly once per (router, kind, seq, hash); a repeat bumps its count. Returns its id. */
  report(a: AnomalyInput, status: 'held' | 'reported'): Promise<number>;
  /** Held gap batches of a router at exactly this seq, oldest first. */
  held(address: string, seq: number): Promise<Anomaly[]>;
  resolve(id: number, at: number): Promise<void>;
  anomalies(opts: { status?: Anomaly['status']; router?: string; limit?: number }): Promise<Anomaly[]>;

  // Operator reports.
  usagePerDay(r: Range): Promise<DayUsage[]>;
  sessions(r: Range): Promise<SessionUsage[]>;
  earnings(): Promise<OwnerEarnings[]>;
  totals(): Promise<Totals>;

  // The owner's view. `owner` (a 0x script hash, as RouterInfo.owner) narrows each to that owner's routers.
  chainHeads(owner?: string): Promise<ChainHead[]>;
  /** A router's batches with seq above afterSeq, in order, with their records: enough to verify each again. */
  storedBatches(router: string, afterSeq: number, limit: number): Promise<StoredBatch[]>;
  dailyTotals(o: { owner?: string; fromMs: number; toMs: number }): Promise<DayTotals[]>;
  settlementTxs(o: { owner?: string; limit: number }): Promise<SettlementTx[]>;
  openProblems(owner?: string): Promise<RouterProblem[]>;

  // Settlement bookkeeping: a transaction is recorded before it is sent, settled on its application log.
  addPending(tx: PendingTx): Promise<void>;
  settle(txid: string, s: TxSettlement): Promise<void>;
  transactions(opts: { status?: TxStatus; limit?: number }): Promise<ChainTx[]>;
  /** Raw bytes of pending transactions, to resend or check after a restart. */
  pendingRaw(): Promise<Array<{ txid: string; raw: string; validUntilBlock: number }>>;
  vouchersToRedeem(limit: number): Promise<VoucherToRedeem[]>;
  /** Keeps a voucher passed on over the channel RPC if it is the channel's newest; true when it was kept. */
  putVoucher(v: PassedVoucher): Promise<boolean>;
  /** The channel's newest voucher from usage records or the RPC, for a router that has not seen it. */
  newestVoucher(channelId: number): Promise<{ amount: number; signature: string; router: string } | null>;
  /** A pending settlement transaction (redeem or close) that carries the channel, if any: its txid. */
  pendingFor(channelId: number): Promise<string | null>;
  /** Stored batches no pending or confirmed anchor covers, oldest first. */
  batchesToAnchor(limit: number): Promise<Array<{ router: string; routerKey: string; seq: number; prev: string; root: string; signature: string }>>;

  close(): Promise<void>;
}
