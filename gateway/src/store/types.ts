import type { z } from 'zod';
import type { anomalyKind, Batch, chainTx, dayUsage, ownerEarnings, sessionUsage, totalsReply, txKind, txStatus } from '../../../protocol/src/index.js';

// The report types are the API's answers, defined once in protocol/src/http/gateway-api.ts.

/** A router as the chain registered it, cached so a batch does not cost an RPC call. */
export interface RouterInfo {
  /** NEO N3 address of the router key: the <router-id> in its MQTT topics. */
  address: string;
  publicKey: string;
  /** Owner script hash, 0x-prefixed as the chain client returns it. */
  owner: string;
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
export type StoreOutcome = { kind: 'stored' } | { kind: 'duplicate' } | { kind: 'gap'; head: number } | { kind: 'fork'; reason: string };

/** 'bad-voucher': a stored batch whose records carried vouchers that failed the check at ingest: kept without them. */
export type AnomalyKind = z.output<typeof anomalyKind>;

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

export type TxKind = z.output<typeof txKind>;
export type TxStatus = z.output<typeof txStatus>;

/** What one settlement transaction covers of the channels; written with the transaction before it is sent. */
export type TxItem = { kind: 'redeem'; channelId: number; amount: number; owner: string };

/** A settlement round of one anchorer (the settlement wallet's 0x script hash). */
export interface RoundRef {
  anchorer: string;
  round: number;
}

/** A stored batch waiting for a round, or in one: what its leaf is made of. */
export interface QueuedBatch {
  router: string;
  seq: number;
  hash: string;
}

/** A round as the settler cuts it: its batches in round order (protocol/src/round.ts), their root. */
export interface NewRound extends RoundRef {
  root: string;
  batches: QueuedBatch[];
  at: number;
}

/** A round cut but not yet anchored by a confirmed transaction. */
export interface OpenRound extends RoundRef {
  root: string;
  size: number;
  createdAt: number;
  /** Its pending transaction, if one is on its way. */
  pending: string | null;
}

/** Where a batch sits in a round, and the confirmed transaction that anchored the round (null while none has). */
export interface RoundPlace extends RoundRef {
  index: number;
  size: number;
  root: string;
  createdAt: number;
  txid: string | null;
}

/** A router's newest round anchored on chain that holds its batches. */
export interface RouterRound extends RoundRef {
  router: string;
  txid: string;
  /** The router's newest batch in that round, and how many of its batches anchored rounds hold in all. */
  lastSeq: number;
  anchoredBatches: number;
  createdAt: number;
}

export interface PendingTx {
  txid: string;
  kind: TxKind;
  /** Signed bytes, hex: a crash after recording can send exactly these again, never a new payment. */
  raw: string;
  validUntilBlock: number;
  items: TxItem[];
  /** The round whose anchorRound it carries, if any. */
  round?: RoundRef;
  at: number;
}

/** A settlement transaction as the API lists it (protocol/src/http/gateway-api.ts). */
export type ChainTx = z.output<typeof chainTx>;

export interface TxSettlement {
  status: Exclude<TxStatus, 'pending'>;
  vmstate: string | null;
  detail: string | null;
  gasFee: number | null;
  at: number;
}

export type DayUsage = z.output<typeof dayUsage>;

export type SessionUsage = z.output<typeof sessionUsage>;

export type OwnerEarnings = z.output<typeof ownerEarnings>;

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

/** owner: only the routers registered to that owner (a 0x script hash). */
export interface Range {
  router?: string;
  owner?: string;
  fromMs?: number;
  toMs?: number;
  limit?: number;
}

export type Totals = z.output<typeof totalsReply>;

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
  /** Bytes to and from the plans' zero-rated destinations: apart from bytesDown/bytesUp, never in cost. */
  zeroDown: number;
  zeroUp: number;
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
  /** Batches of the round it anchors (of the owner's routers, when asked for one owner). */
  anchors: number;
  /** The round it anchors, if any. */
  round: number | null;
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
