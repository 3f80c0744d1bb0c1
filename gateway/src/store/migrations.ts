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

const STEPS = [V1, V2];

export function migrations(dialect: 'sqlite' | 'postgres'): string[] {
  const id = dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY';
  const int = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
  return STEPS.map((s) => s.replace(/\bID\b/g, id).replace(/\bINT\b/g, int));
}
