import type { Db, SqlValue } from '../store/driver.js';

export interface HeldVoucher {
  channelId: bigint;
  amount: bigint;
  /** r‖s, hex. */
  signature: string;
  sessionId: number | null;
  at: number;
}

interface Row {
  channel_id: string;
  amount: string;
  signature: string;
  session_id: number | null;
  at: number;
}

// Amounts are up to 2^63 - 1: kept as decimal text, since SQLite integers
// come back as JS numbers and would lose precision above 2^53.
const toVoucher = (r: Row): HeldVoucher => ({
  channelId: BigInt(r.channel_id),
  amount: BigInt(r.amount),
  signature: r.signature,
  sessionId: r.session_id,
  at: r.at,
});
const sortKey = (amount: bigint) => amount.toString(16).padStart(16, '0');

/** The newest voucher per channel, and nothing older: only the newest is ever redeemed. */
export class VoucherStore {
  readonly #get;
  readonly #raise;
  readonly #unpushed;
  readonly #pushed;

  constructor(db: Db) {
    this.#get = db.prepare<[string], Row>('SELECT * FROM vouchers WHERE channel_id = ?');
    // One statement decides "strictly higher" and writes, so two requests racing cannot both win with the same amount.
    // `elsewhere` grows by what another router took above the newest held here (the third parameter, when given);
    // SQLite's 64-bit integers hold any amount below 2^63 exactly.
    this.#raise = db.prepare<[Record<string, SqlValue>]>(`INSERT INTO vouchers (channel_id, amount, amount_sort, signature, session_id, at, elsewhere, pushed)
      VALUES (@channel, @amount, @sort, @signature, @session, @at, CAST(COALESCE(@gateway, 0) AS TEXT), 0)
      ON CONFLICT(channel_id) DO UPDATE SET amount = excluded.amount, amount_sort = excluded.amount_sort,
        signature = excluded.signature, session_id = excluded.session_id, at = excluded.at, pushed = 0,
        elsewhere = CAST(CAST(vouchers.elsewhere AS INTEGER) + MAX(0, COALESCE(@gateway, 0) - CAST(vouchers.amount AS INTEGER)) AS TEXT)
      WHERE excluded.amount_sort > vouchers.amount_sort`);
    this.#unpushed = db.prepare<[number], Row>('SELECT * FROM vouchers WHERE pushed = 0 ORDER BY at LIMIT ?');
    this.#pushed = db.prepare('UPDATE vouchers SET pushed = 1 WHERE channel_id = ? AND amount = ?');
  }

  newest(channelId: bigint): HeldVoucher | undefined {
    const r = this.#get.get(channelId.toString());
    return r && toVoucher(r);
  }

  /**
   * Stores v if it is strictly above the newest held; false (nothing written) otherwise.
   * gatewayNewest: a higher voucher another router took, which this one had not seen.
   */
  raise(v: HeldVoucher, gatewayNewest?: bigint): boolean {
    return (
      this.#raise.run({
        channel: v.channelId.toString(),
        amount: v.amount.toString(),
        sort: sortKey(v.amount),
        signature: v.signature,
        session: v.sessionId,
        at: v.at,
        gateway: gatewayNewest ?? null,
      }).changes === 1
    );
  }

  /** Newest vouchers the gateway has not acknowledged yet, oldest first. */
  unpushed(limit: number): HeldVoucher[] {
    return this.#unpushed.all(limit).map(toVoucher);
  }

  /** The gateway has this amount; a higher one stored since stays due. */
  markPushed(channelId: bigint, amount: bigint): void {
    this.#pushed.run(channelId.toString(), amount.toString());
  }
}
