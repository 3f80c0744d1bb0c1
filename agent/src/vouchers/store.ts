import type { Db } from '../store/db.js';

export interface HeldVoucher {
  channelId: bigint;
  amount: bigint;
  /** r‖s, hex. */
  signature: string;
  sessionId: number | null;
  at: number;
}

interface Row { channel_id: string; amount: string; signature: string; session_id: number | null; at: number }

// Amounts are up to 2^63 - 1: kept as decimal text, since SQLite integers
// come back as JS numbers and would lose precision above 2^53.
const toVoucher = (r: Row): HeldVoucher => ({
  channelId: BigInt(r.channel_id), amount: BigInt(r.amount), signature: r.signature, sessionId: r.session_id, at: r.at,
});

/** The newest voucher per channel, and nothing older: only the newest is ever redeemed. */
export class VoucherStore {
  readonly #get;
  readonly #raise;

  constructor(private readonly db: Db) {
    this.#get = db.prepare<[string], Row>('SELECT * FROM vouchers WHERE channel_id = ?');
    // One statement decides "strictly higher" and writes, so two requests racing cannot both win with the same amount.
    this.#raise = db.prepare(`INSERT INTO vouchers (channel_id, amount, amount_sort, signature, session_id, at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(channel_id) DO UPDATE SET amount = excluded.amount, amount_sort = excluded.amount_sort,
        signature = excluded.signature, session_id = excluded.session_id, at = excluded.at
      WHERE excluded.amount_sort > vouchers.amount_sort`);
  }

  newest(channelId: bigint): HeldVoucher | undefined {
    const r = this.#get.get(channelId.toString());
    return r && toVoucher(r);
  }

  /** Stores v if it is strictly above the newest held; false (nothing written) otherwise. */
  raise(v: HeldVoucher): boolean {
    const sort = v.amount.toString(16).padStart(16, '0');
    return this.#raise.run(v.channelId.toString(), v.amount.toString(), sort, v.signature, v.sessionId, v.at).changes === 1;
  }
}
