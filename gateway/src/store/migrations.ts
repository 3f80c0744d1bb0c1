/**
 * Schema versions, oldest first; never edit a released one, append. Written
 * once for both databases: `INT` is a 64-bit integer and `ID` an
 * auto-numbered key in each dialect. Amounts are in the token's smallest
 * unit and fit 2^53 (the wire schema caps every integer there).
 */
const V1 = `
CREATE TABLE routers (
  address TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,
  owner TEXT NOT NULL,
  price_per_mb INT NOT NULL,
  price_per_minute INT NOT NULL,
  active INT NOT NULL,
  checked_at INT NOT NULL
);
CREATE INDEX routers_by_owner ON routers(owner);

CREATE TABLE batches (
  router TEXT NOT NULL,
  seq INT NOT NULL,
  hash TEXT NOT NULL,
  prev TEXT NOT NULL,
  root TEXT NOT NULL,
  router_key TEXT NOT NULL,
  signature TEXT NOT NULL,
  from_ms INT NOT NULL,
  to_ms INT NOT NULL,
  first_record INT NOT NULL,
  last_record INT NOT NULL,
  records INT NOT NULL,
  received_at INT NOT NULL,
  PRIMARY KEY (router, seq)
);
CREATE INDEX batches_by_received ON batches(received_at);

CREATE TABLE records (
  router TEXT NOT NULL,
  id INT NOT NULL,
  batch_seq INT NOT NULL,
  session_id INT NOT NULL,
  channel_id INT,
  start_ms INT NOT NULL,
  end_ms INT NOT NULL,
  bytes_down INT NOT NULL,
  bytes_up INT NOT NULL,
  seconds INT NOT NULL,
  cost INT NOT NULL,
  voucher_amount INT,
  voucher_sig TEXT,
  PRIMARY KEY (router, id)
);
CREATE INDEX records_by_start ON records(start_ms);
CREATE INDEX records_by_session ON records(router, session_id);
CREATE INDEX records_by_channel ON records(channel_id, voucher_amount) WHERE channel_id IS NOT NULL;

CREATE TABLE acks (
  router TEXT NOT NULL,
  seq INT NOT NULL,
  acks INT NOT NULL,
  last_at INT NOT NULL,
  PRIMARY KEY (router, seq)
);

-- One row per (router, kind, seq, hash): a router resending a bad batch bumps count, not the table.
CREATE TABLE anomalies (
  id ID,
  router TEXT NOT NULL,
  kind TEXT NOT NULL,
  seq INT NOT NULL,
  hash TEXT NOT NULL,
  detail TEXT NOT NULL,
  payload TEXT,
  status TEXT NOT NULL CHECK (status IN ('held', 'reported', 'resolved')),
  count INT NOT NULL,
  first_at INT NOT NULL,
  last_at INT NOT NULL,
  UNIQUE (router, kind, seq, hash)
);
CREATE INDEX anomalies_by_status ON anomalies(status, router, seq);

-- Settlement: a transaction row (with its signed bytes) and its items are
-- written before the bytes are sent, and settled only on the application log.
CREATE TABLE chain_txs (
  txid TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('redeem', 'anchor', 'relay')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'faulted', 'expired')),
  raw TEXT NOT NULL,
  valid_until_block INT NOT NULL,
  created_at INT NOT NULL,
  settled_at INT,
  vmstate TEXT,
  detail TEXT,
  gas_fee INT
);
CREATE INDEX chain_txs_by_status ON chain_txs(status, created_at);

CREATE TABLE tx_items (
  txid TEXT NOT NULL REFERENCES chain_txs(txid),
  kind TEXT NOT NULL CHECK (kind IN ('redeem', 'anchor')),
  channel_id INT,
  amount INT,
  owner TEXT,
  router TEXT,
  seq INT
);
CREATE INDEX tx_items_by_txid ON tx_items(txid);
CREATE INDEX tx_items_by_channel ON tx_items(channel_id) WHERE channel_id IS NOT NULL;
CREATE INDEX tx_items_by_batch ON tx_items(router, seq) WHERE router IS NOT NULL;
`;

// Vouchers a router passes on over the channel RPC (qlink/v1/<router>/rpc),
// ahead of its next usage batch: only the newest per channel is kept.
const V2 = `
CREATE TABLE vouchers (
  channel_id INT PRIMARY KEY,
  amount INT NOT NULL,
  signature TEXT NOT NULL,
  router TEXT NOT NULL,
  received_at INT NOT NULL
);
`;

// The acks table (one row per batch acked, with how often) was written and never read: gone.
const V3 = `
DROP TABLE acks;
`;

// Contract v2: prices are in the owner's plans on chain, not in the router's registration.
const V4 = `
ALTER TABLE routers DROP COLUMN price_per_mb;
ALTER TABLE routers DROP COLUMN price_per_minute;
`;

// Sponsored transactions (the hotspot pays a guest's fees): an offer is written
// when the gateway builds one, marked sent before it is signed and relayed, and
// settled on its application log; what a sent, confirmed or faulted one cost is
// the owner's spend. The channel index: every channel's state as the contract's
// events left it, by guest and by voucher key, and how far the chain was read.
const V5 = `
CREATE TABLE sponsored (
  txid TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('open', 'rekey')),
  router TEXT NOT NULL,
  owner TEXT NOT NULL,
  guest TEXT NOT NULL,
  amount INT NOT NULL,
  raw TEXT NOT NULL,
  system_fee INT NOT NULL,
  network_fee INT NOT NULL,
  valid_until_block INT NOT NULL,
  day TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('offered', 'sent', 'confirmed', 'faulted', 'expired', 'refused')),
  created_at INT NOT NULL,
  settled_at INT,
  channel_id INT,
  detail TEXT
);
CREATE INDEX sponsored_by_owner_day ON sponsored(owner, day);
CREATE INDEX sponsored_by_guest_day ON sponsored(guest, day);
CREATE INDEX sponsored_by_status ON sponsored(status);

CREATE TABLE channel_index (
  id INT PRIMARY KEY,
  guest TEXT NOT NULL,
  owner TEXT NOT NULL,
  router TEXT NOT NULL,
  token TEXT NOT NULL,
  voucher_key TEXT NOT NULL,
  deposit INT NOT NULL,
  expiry INT NOT NULL,
  plan_id INT NOT NULL,
  plan_version INT NOT NULL,
  redeemed INT NOT NULL,
  closed INT NOT NULL,
  opened_block INT NOT NULL,
  updated_block INT NOT NULL
);
CREATE INDEX channel_index_by_guest ON channel_index(guest, closed);
CREATE INDEX channel_index_by_key ON channel_index(voucher_key);

CREATE TABLE index_head (
  name TEXT PRIMARY KEY,
  height INT NOT NULL
);
`;

// Contract v2 anchors one root per settlement round (anchorRound) instead of
// every batch. A batch waits in round_queue (written with the batch) until a
// round takes it; round_batches holds each batch's round and leaf index (a
// batch is in one round: its primary key); round_txs ties the round to the
// transactions that carry its anchorRound, booked like every other in
// chain_txs. Tables are added rather than tx_items rewritten: SQLite cannot
// alter its CHECK constraint. A record's voucher the books must not use (it
// failed the check at ingest, or a verified one of its channel in the same
// batch is as high or higher) is kept in unused_voucher_* (its bytes are in
// the batch's Merkle root, so the batch must still verify from the stored
// rows) and never in voucher_*, which settlement, close and the channel RPC read.
const V6 = `
CREATE TABLE rounds (
  anchorer TEXT NOT NULL,
  round INT NOT NULL,
  root TEXT NOT NULL,
  size INT NOT NULL,
  created_at INT NOT NULL,
  PRIMARY KEY (anchorer, round)
);

CREATE TABLE round_queue (
  router TEXT NOT NULL,
  seq INT NOT NULL,
  PRIMARY KEY (router, seq),
  FOREIGN KEY (router, seq) REFERENCES batches(router, seq)
);
INSERT INTO round_queue (router, seq) SELECT router, seq FROM batches;

CREATE TABLE round_batches (
  router TEXT NOT NULL,
  seq INT NOT NULL,
  anchorer TEXT NOT NULL,
  round INT NOT NULL,
  idx INT NOT NULL,
  PRIMARY KEY (router, seq),
  UNIQUE (anchorer, round, idx),
  FOREIGN KEY (router, seq) REFERENCES batches(router, seq),
  FOREIGN KEY (anchorer, round) REFERENCES rounds(anchorer, round)
);

CREATE TABLE round_txs (
  txid TEXT PRIMARY KEY REFERENCES chain_txs(txid),
  anchorer TEXT NOT NULL,
  round INT NOT NULL,
  FOREIGN KEY (anchorer, round) REFERENCES rounds(anchorer, round)
);
CREATE INDEX round_txs_by_round ON round_txs(anchorer, round);

ALTER TABLE records ADD COLUMN unused_voucher_amount INT;
ALTER TABLE records ADD COLUMN unused_voucher_sig TEXT;
`;

// Zero-rated bytes (issue 19): carried apart in a record (version 2), kept so a stored batch's root verifies again.
const V7 = `
ALTER TABLE records ADD COLUMN zero_down INT NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN zero_up INT NOT NULL DEFAULT 0;
`;

const STEPS = [V1, V2, V3, V4, V5, V6, V7];

export function migrations(dialect: 'sqlite' | 'postgres'): string[] {
  const id = dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY';
  const int = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
  return STEPS.map((s) => s.replace(/\bID\b/g, id).replace(/\bINT\b/g, int));
}
