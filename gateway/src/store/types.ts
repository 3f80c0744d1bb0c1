import type { Batch } from '../../../agent/src/usage/wire.js';

/** A router as the chain registered it, cached so a batch does not cost an RPC call. */
export interface RouterInfo {
  /** NEO N3 address of the router key: the <router-id> in its MQTT topics. */
  address: string;
  publicKey: string;
  /** Owner script hash, 0x-prefixed as the chain client returns it. */
  owner: string;
  pricePerMB: number;
  pricePerMinute: number;
  active: boolean;
  checkedAt: number;
}

export interface BatchHead {
  seq: number;
  hash: string;
  lastRecord: number;
}

/**
 * What storing a batch did. `duplicate` is the same seq and hash again (ack it
 * again); `gap` and `fork` are refused and left to the caller to hold and report.
 */
export type StoreOutcome =
  | { kind: 'stored' }
  | { kind: 'duplicate' }
  | { kind: 'gap'; head: number }
  | { kind: 'fork'; reason: string };

export type AnomalyKind =
  | 'gap' | 'fork' | 'bad-batch' | 'unknown-router' | 'wrong-deployment' | 'malformed' | 'oversized';

export interface AnomalyInput {
  router: string;
  kind: AnomalyKind;
  /** 0 when the payload had no usable sequence. */
  seq: number;
  /** '' when the payload had no usable hash. */
  hash: string;
  detail: string;
  /** The whole batch, kept only for held ones (gaps) so they can be stored once the chain catches up. */
  payload: Batch | null;
  at: number;
}

export interface Anomaly extends Omit<AnomalyInput, 'at'> {
  id: number;
  status: 'held' | 'reported' | 'resolved';
  count: number;
  firstAt: number;
  lastAt: number;
}

export type TxKind = 'redeem' | 'anchor' | 'relay';
export type TxStatus = 'pending' | 'confirmed' | 'faulted' | 'expired';

/** What one settlement transaction covers; written with the transaction before it is sent. */
export type TxItem =
  | { kind: 'redeem'; channelId: number; amount: number; owner: string }
  | { kind: 'anchor'; router: string; seq: number };

export interface PendingTx {
  txid: string;
  kind: TxKind;
  /** Signed bytes, hex: a crash after recording can send exactly these again, never a new payment. */
  raw: string;
  validUntilBlock: number;
  items: TxItem[];
  at: number;
}

export interface ChainTx {
  txid: string;
  kind: TxKind;
  status: TxStatus;
  validUntilBlock: number;
  items: number;
  createdAt: number;
  settledAt: number | null;
  vmstate: string | null;
  detail: string | null;
  gasFee: number | null;
}

export interface TxSettlement {
  status: Exclude<TxStatus, 'pending'>;
  vmstate: string | null;
  detail: string | null;
  gasFee: number | null;
  at: number;
}

export interface DayUsage {
  day: string;
  router: string;
  sessions: number;
  records: number;
  bytesDown: number;
  bytesUp: number;
  seconds: number;
  cost: number;
}

export interface SessionUsage {
  router: string;
  sessionId: number;
  channelId: number | null;
  startMs: number;
  endMs: number;
  bytesDown: number;
  bytesUp: number;
  seconds: number;
  cost: number;
  voucherAmount: number;
}

export interface OwnerEarnings {
  owner: string;
  routers: number;
  /** Sum of record costs metered by the owner's routers. */
  metered: number;
  /** Newest confirmed redeemed voucher per channel, summed. */
  settled: number;
}

/** Newest voucher per channel that no pending or confirmed redeem covers yet. */
export interface VoucherToRedeem {
  channelId: number;
  amount: number;
  signature: string;
  router: string;
}

/** A voucher a router passed on over the channel RPC, already checked against the chain. */
export interface PassedVoucher {
  channelId: number;
  amount: number;
  signature: string;
  router: string;
  at: number;
}

export interface Range { router?: string; fromMs?: number; toMs?: number; limit?: number }

export interface Totals { batches: number; records: number; anomalies: number; pendingTxs: number }

/** One router's stored batch chain at a glance (the owner's view checks it batch by batch). */
export interface ChainHead {
  router: string;
  batches: number;
  firstSeq: number;
  lastSeq: number;
  records: number;
  lastReceivedAt: number;
}

/** A stored batch as it arrived, less the deployment fields every batch of one gateway shares. */
export type StoredBatch = Omit<Batch, 'v' | 'networkMagic' | 'contract'>;

/** One UTC day of an owner's (or the fleet's) routers. */
export interface DayTotals {
  day: string;
  bytesDown: number;
  bytesUp: number;
  /** Guest sessions with a record starting that day. */
  sessions: number;
  /** What the records starting that day cost the guests. */
  metered: number;
  /** What confirmed redeems settled that day paid: each channel's rise over its earlier confirmed redeem. */
  paid: number;
}

/** A settlement transaction as its owner sees it: what it carries of theirs and what it pays them. */
export interface SettlementTx {
  txid: string;
  kind: TxKind;
  status: TxStatus;
  createdAt: number;
  settledAt: number | null;
  gasFee: number | null;
  detail: string | null;
  /** Channels it redeems (the owner's, when asked for one owner). */
  channels: number;
  /** Batches it anchors (of the owner's routers, when asked for one owner). */
  anchors: number;
  /** The rise over each channel's earlier confirmed redeem: paid once confirmed, claimed while pending. */
  paid: number;
}

/** Open anomalies of one router and kind, grouped. */
export interface RouterProblem {
  router: string;
  kind: AnomalyKind;
  status: 'held' | 'reported';
  /** Distinct problems (rows). */
  problems: number;
  /** Times they were seen, resends included. */
  seen: number;
  firstSeq: number;
  lastSeq: number;
  lastAt: number;
  /** One of their details, as an example. */
  detail: string;
}
