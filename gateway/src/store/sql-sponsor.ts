import { num, numOrNull, one, type SqlDriver } from './sql.js';
import type {
  ChannelChange,
  ChannelIndexStore,
  IndexedChannel,
  Sponsored,
  SponsoredStatus,
  SponsorLimits,
  SponsorSpend,
  SponsorStore,
} from './wallet-types.js';

const SPENT = "('sent', 'confirmed', 'faulted')";

interface SponsoredRow {
  txid: string;
  kind: string;
  router: string;
  owner: string;
  guest: string;
  amount: unknown;
  raw: string;
  system_fee: unknown;
  network_fee: unknown;
  valid_until_block: unknown;
  day: string;
  status: string;
  created_at: unknown;
  settled_at: unknown;
  channel_id: unknown;
  detail: string | null;
}
const toSponsored = (r: SponsoredRow): Sponsored => ({
  txid: r.txid,
  kind: r.kind as Sponsored['kind'],
  router: r.router,
  owner: r.owner,
  guest: r.guest,
  amount: num(r.amount),
  raw: r.raw,
  systemFee: num(r.system_fee),
  networkFee: num(r.network_fee),
  validUntilBlock: num(r.valid_until_block),
  day: r.day,
  status: r.status as SponsoredStatus,
  createdAt: num(r.created_at),
  settledAt: numOrNull(r.settled_at),
  channelId: numOrNull(r.channel_id),
  detail: r.detail,
});

/** The SponsorStore over either SQL driver. */
export class SqlSponsorStore implements SponsorStore {
  constructor(private readonly db: SqlDriver) {}

  async addOffer(s: Sponsored): Promise<void> {
    await this.db.run(
      `INSERT INTO sponsored (txid, kind, router, owner, guest, amount, raw, system_fee, network_fee, valid_until_block, day, status, created_at, settled_at, channel_id, detail)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        s.txid,
        s.kind,
        s.router,
        s.owner.toLowerCase(),
        s.guest.toLowerCase(),
        s.amount,
        s.raw,
        s.systemFee,
        s.networkFee,
        s.validUntilBlock,
        s.day,
        s.status,
        s.createdAt,
        s.settledAt,
        s.channelId,
        s.detail,
      ],
    );
  }

  async get(txid: string): Promise<Sponsored | null> {
    const r = await one<SponsoredRow>(this.db, 'SELECT * FROM sponsored WHERE txid = ?', [txid]);
    return r ? toSponsored(r) : null;
  }

  async claim(txid: string, limits: SponsorLimits): Promise<string | null> {
    return this.db.tx(async (q) => {
      const r = await one<SponsoredRow>(q, 'SELECT * FROM sponsored WHERE txid = ?', [txid]);
      if (!r) return 'no such offer';
      if (r.status !== 'offered') return `the offer was already ${r.status}`;
      const guest = await one<{ n: unknown }>(q, `SELECT COUNT(*) AS n FROM sponsored WHERE guest = ? AND day = ? AND status IN ${SPENT}`, [r.guest, r.day]);
      if (num(guest?.n) >= limits.perGuestPerDay)
        return `this account had ${limits.perGuestPerDay} transactions paid by the hotspot today, the most it pays for one guest a day`;
      const spent = await one<{ fees: unknown }>(
        q,
        `SELECT COALESCE(SUM(system_fee + network_fee), 0) AS fees FROM sponsored WHERE owner = ? AND day = ? AND status IN ${SPENT}`,
        [r.owner, r.day],
      );
      if (num(spent?.fees) + num(r.system_fee) + num(r.network_fee) > limits.ownerDailyBudget)
        return "the hotspot's budget for paying guests' fees is used up for today";
      await q.run("UPDATE sponsored SET status = 'sent' WHERE txid = ? AND status = 'offered'", [txid]);
      return null;
    });
  }

  async settle(
    txid: string,
    status: Exclude<SponsoredStatus, 'offered' | 'sent'>,
    at: number,
    channelId: number | null = null,
    detail: string | null = null,
  ): Promise<void> {
    const from = status === 'refused' ? "('offered', 'sent')" : "('sent')";
    await this.db.run(`UPDATE sponsored SET status = ?, settled_at = ?, channel_id = ?, detail = ? WHERE txid = ? AND status IN ${from}`, [
      status,
      at,
      channelId,
      detail,
      txid,
    ]);
  }

  async spend(owner: string, day: string | null): Promise<SponsorSpend> {
    const r = await one<{ fees: unknown; opened: unknown; sent: unknown }>(
      this.db,
      `SELECT COALESCE(SUM(system_fee + network_fee), 0) AS fees, COUNT(*) AS sent,
        COALESCE(SUM(CASE WHEN kind = 'open' AND status = 'confirmed' THEN 1 ELSE 0 END), 0) AS opened
      FROM sponsored WHERE owner = ? AND status IN ${SPENT}${day === null ? '' : ' AND day = ?'}`,
      day === null ? [owner.toLowerCase()] : [owner.toLowerCase(), day],
    );
    return { fees: num(r?.fees), opened: num(r?.opened), sent: num(r?.sent) };
  }

  async guestCount(guest: string, day: string): Promise<number> {
    const r = await one<{ n: unknown }>(this.db, `SELECT COUNT(*) AS n FROM sponsored WHERE guest = ? AND day = ? AND status IN ${SPENT}`, [
      guest.toLowerCase(),
      day,
    ]);
    return num(r?.n);
  }

  async unsettled(limit: number): Promise<Sponsored[]> {
    return (await this.db.all<SponsoredRow>("SELECT * FROM sponsored WHERE status = 'sent' ORDER BY created_at LIMIT ?", [limit])).map(toSponsored);
  }

  async pruneOffers(before: number): Promise<number> {
    return this.db.run("DELETE FROM sponsored WHERE status IN ('offered', 'refused') AND created_at < ?", [before]);
  }
}

interface IndexRow {
  id: unknown;
  guest: string;
  owner: string;
  router: string;
  token: string;
  voucher_key: string;
  deposit: unknown;
  expiry: unknown;
  plan_id: unknown;
  plan_version: unknown;
  redeemed: unknown;
  closed: unknown;
  opened_block: unknown;
  updated_block: unknown;
}
const toIndexed = (r: IndexRow): IndexedChannel => ({
  id: num(r.id),
  guest: r.guest,
  owner: r.owner,
  router: r.router,
  token: r.token,
  voucherKey: r.voucher_key,
  deposit: num(r.deposit),
  expiry: num(r.expiry),
  planId: num(r.plan_id),
  planVersion: num(r.plan_version),
  redeemed: num(r.redeemed),
  closed: num(r.closed) === 1,
  openedBlock: num(r.opened_block),
  updatedBlock: num(r.updated_block),
});

/** The ChannelIndexStore over either SQL driver. */
export class SqlChannelIndexStore implements ChannelIndexStore {
  constructor(private readonly db: SqlDriver) {}

  async apply(name: string, height: number, changes: ChannelChange[]): Promise<void> {
    await this.db.tx(async (q) => {
      for (const c of changes) {
        // A row changes only for a block at or after the one that last changed it: a block read twice (two gateways, a restart) is harmless.
        const upd = (set: string, params: Array<string | number>) =>
          q.run(`UPDATE channel_index SET ${set}, updated_block = ? WHERE id = ? AND updated_block <= ?`, [
            ...params,
            height,
            c.kind === 'opened' ? c.channel.id : c.id,
            height,
          ]);
        switch (c.kind) {
          case 'opened': {
            const h = c.channel;
            await q.run(
              `INSERT INTO channel_index (id, guest, owner, router, token, voucher_key, deposit, expiry, plan_id, plan_version, redeemed, closed, opened_block, updated_block)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?) ON CONFLICT (id) DO NOTHING`,
              [
                h.id,
                h.guest.toLowerCase(),
                h.owner.toLowerCase(),
                h.router.toLowerCase(),
                h.token.toLowerCase(),
                h.voucherKey.toLowerCase(),
                h.deposit,
                h.expiry,
                h.planId,
                h.planVersion,
                height,
                height,
              ],
            );
            break;
          }
          case 'topped-up':
            await upd('deposit = ?, expiry = ?', [c.deposit, c.expiry]);
            break;
          case 'redeemed':
            await upd('redeemed = ?', [c.cumulative]);
            break;
          case 'closed':
            await upd('redeemed = ?, closed = 1', [c.cumulative]);
            break;
          case 'refunded':
            await upd('closed = 1', []);
            break;
          case 'rekeyed':
            await upd('voucher_key = ?', [c.voucherKey.toLowerCase()]);
            break;
        }
      }
      await q.run(
        'INSERT INTO index_head (name, height) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET height = excluded.height WHERE index_head.height < excluded.height',
        [name, height],
      );
    });
  }

  async height(name: string): Promise<number> {
    const r = await one<{ height: unknown }>(this.db, 'SELECT height FROM index_head WHERE name = ?', [name]);
    return r ? num(r.height) : -1;
  }

  async byGuest(guest: string, o: { open?: boolean; limit?: number } = {}): Promise<IndexedChannel[]> {
    const rows = await this.db.all<IndexRow>(`SELECT * FROM channel_index WHERE guest = ?${o.open ? ' AND closed = 0' : ''} ORDER BY closed, id DESC LIMIT ?`, [
      guest.toLowerCase(),
      o.limit ?? 100,
    ]);
    return rows.map(toIndexed);
  }

  async byVoucherKey(key: string): Promise<IndexedChannel[]> {
    return (await this.db.all<IndexRow>('SELECT * FROM channel_index WHERE voucher_key = ? ORDER BY id DESC LIMIT 100', [key.toLowerCase()])).map(toIndexed);
  }

  async get(id: number): Promise<IndexedChannel | null> {
    const r = await one<IndexRow>(this.db, 'SELECT * FROM channel_index WHERE id = ?', [id]);
    return r ? toIndexed(r) : null;
  }
}
