import { type Batch, type Channel, type Deployment, voucherForgery } from '../../../protocol/src/index.js';
import { verifyP256 } from '../../../protocol/src/node/index.js';

/** The one chain read the check makes. */
export interface ChannelLookup {
  channel(id: number): Promise<Channel | null>;
}

/** A voucher that cannot be judged now (the chain does not answer and nothing known decides it): the batch waits for a resend. */
export class VouchersUndecided extends Error {
  override name = 'VouchersUndecided';
}

export interface VoucherCheckOptions {
  /** How long a channel read from the chain is used without asking again. */
  freshMs?: number;
  /** After a failed read, how long the chain is not asked (known channels answer from what was read before). */
  backoffMs?: number;
  /** Channels and verified vouchers kept in memory at most. */
  maxEntries?: number;
  clock?: () => number;
}

/**
 * The vouchers in a batch's records, checked at the door as the agent checks
 * them (protocol's voucherForgery: the channel is on chain, pays the
 * router's owner, its voucher key signed the amount, at most the deposit):
 * per channel the highest, and the next when it fails, until one passes;
 * one chain read per distinct channel of the batch, kept briefly.
 * A channel's owner and key do not change (bar a rekey) and its deposit
 * only grows, so a channel read before still decides a voucher within the
 * deposit it had: the batch goes on at once and the channel is read again
 * behind it (a chain that does not answer holds no batch up, and is asked
 * again only after a pause). A voucher above that deposit, or of a channel
 * never read, waits for the chain.
 */
export class VoucherCheck {
  readonly #channels = new Map<number, { ch: Channel | null; at: number }>();
  /** owner:channel:amount:signature of vouchers that passed: a record repeats the session's newest voucher. */
  readonly #passed = new Set<string>();
  #downUntil = 0;
  readonly #o: Required<VoucherCheckOptions>;

  constructor(
    private readonly chain: ChannelLookup,
    private readonly d: Deployment,
    o: VoucherCheckOptions = {},
  ) {
    this.#o = { freshMs: 10_000, backoffMs: 5_000, maxEntries: 50_000, clock: Date.now, ...o };
  }

  /**
   * The batch's vouchers judged: `refused`, record id → why its voucher
   * fails; `unused`, the records whose vouchers are below (or equal to) a
   * verified one of the same channel in the same batch, which the books can
   * never need (only a channel's newest voucher is redeemed, closed with or
   * answered), so they are not verified one by one: a P-256 verification a
   * channel a batch rather than one a record. Throws VouchersUndecided when
   * a voucher that matters cannot be judged now.
   */
  async check(b: Batch, owner: string): Promise<{ refused: Map<number, string>; unused: Set<number> }> {
    const refused = new Map<number, string>();
    const unused = new Set<number>();
    const byChannel = new Map<number, Batch['records']>();
    for (const r of b.records) {
      if (!r.voucher) continue;
      if (r.channelId === null) refused.set(r.id, 'a voucher without a channel');
      else byChannel.set(r.channelId, [...(byChannel.get(r.channelId) ?? []), r]);
    }
    for (const [id, records] of byChannel) {
      records.sort((x, y) => y.voucher!.amount - x.voucher!.amount);
      const { ch, fresh } = await this.#channel(id, BigInt(records[0]!.voucher!.amount));
      let found = false;
      for (const r of records) {
        if (found) {
          unused.add(r.id);
          continue;
        }
        const v = r.voucher!;
        const key = `${owner}:${id}:${v.amount}:${v.signature}`;
        if (this.#passed.has(key)) {
          found = true;
          continue;
        }
        if (!fresh && (!ch || BigInt(v.amount) > ch.deposit)) {
          throw new VouchersUndecided(`channel ${id}: the chain does not answer, and what was read of it before cannot decide voucher ${v.amount}`);
        }
        const why = voucherForgery(ch, { channelId: BigInt(id), amount: BigInt(v.amount), signature: v.signature }, owner, this.d, verifyP256);
        if (why) refused.set(r.id, why);
        else {
          found = true;
          this.#remember(this.#passed, key);
        }
      }
    }
    return { refused, unused };
  }

  /**
   * The channel as read, and whether it may decide any voucher (fresh) or
   * only one up to the deposit it had (a known channel read before: it is
   * read again in the background). `highest`: the highest amount the batch
   * holds of it, above which a stale read cannot decide.
   */
  async #channel(id: number, highest: bigint): Promise<{ ch: Channel | null; fresh: boolean }> {
    const now = this.#o.clock();
    const hit = this.#channels.get(id);
    if (hit && now - hit.at < this.#o.freshMs) return { ch: hit.ch, fresh: true };
    if (hit?.ch && highest <= hit.ch.deposit) {
      this.#refresh(id, now);
      return { ch: hit.ch, fresh: false };
    }
    if (now < this.#downUntil) return { ch: hit?.ch ?? null, fresh: false };
    try {
      return { ch: await this.#read(id, now), fresh: true };
    } catch {
      this.#downUntil = now + this.#o.backoffMs;
      return { ch: hit?.ch ?? null, fresh: false };
    }
  }

  readonly #reading = new Set<number>();

  #refresh(id: number, now: number): void {
    if (now < this.#downUntil || this.#reading.has(id)) return;
    this.#reading.add(id);
    this.#read(id, now)
      .catch(() => {
        this.#downUntil = this.#o.clock() + this.#o.backoffMs;
      })
      .finally(() => this.#reading.delete(id));
  }

  async #read(id: number, now: number): Promise<Channel | null> {
    const ch = await this.chain.channel(id);
    this.#channels.delete(id);
    this.#remember(this.#channels, id, { ch, at: now });
    return ch;
  }

  #remember<K>(m: Set<K> | Map<K, unknown>, k: K, v?: unknown): void {
    if (m.size >= this.#o.maxEntries) {
      const oldest = m.keys().next().value as K;
      m.delete(oldest);
    }
    if (m instanceof Set) m.add(k);
    else m.set(k, v);
  }
}

/** The anomaly's words for a batch's refused vouchers. */
export function refusedDetail(b: Batch, refused: Map<number, string>): string {
  const byId = new Map(b.records.map((r) => [r.id, r]));
  const list = [...refused]
    .sort((x, y) => x[0] - y[0])
    .map(([id, why]) => {
      const r = byId.get(id)!;
      return `record ${id} (channel ${r.channelId ?? '—'}, ${r.voucher?.amount}): ${why}`;
    });
  return `${refused.size} of ${b.records.filter((r) => r.voucher).length} vouchers refused: ${list.join('; ')}`;
}
