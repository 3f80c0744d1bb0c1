/** What the agent needs to know about a payment channel before it grants service for a voucher. */
export interface ChannelInfo {
  id: bigint;
  /** Script hash (0x…) of the payee: the owner of the router the channel was opened at. */
  owner: string;
  /** Compressed public key (hex) of the router it was opened at. */
  router: string;
  /** Compressed public key (hex) the guest signs vouchers with. */
  voucherKey: string;
  deposit: bigint;
  redeemed: bigint;
  /** Milliseconds since the epoch, compared with block time. */
  expiry: bigint;
  closed: boolean;
  /** In a persisted block; a channel seen only in the mempool (or not at all) is not. */
  confirmed: boolean;
  /**
   * The newest voucher the gateway holds for the channel, from any of the
   * owner's routers (null: none); undefined when the source cannot tell
   * (the chain alone knows nothing of vouchers not yet redeemed).
   */
  newest?: { amount: bigint; signature: string } | null;
}

/**
 * Where channel state comes from: the contract read directly
 * (ChainChannelSource), the gateway's channel service over MQTT
 * (GatewayChannelSource), and in unit tests MemoryChannelSource.
 */
export interface ChannelSource {
  /** Null when the chain knows no such channel (yet). */
  channel(id: bigint): Promise<ChannelInfo | null>;
  /** Block time (ms) that expiry is compared with. */
  now(): Promise<bigint>;
  /** How long (ms) after expiry the owner may still redeem; the guest's refund opens after it. */
  settlementWindow(): Promise<bigint>;
}

export class MemoryChannelSource implements ChannelSource {
  readonly channels = new Map<bigint, ChannelInfo>();
  constructor(public clock: () => bigint = () => BigInt(Date.now()), public window = 3_600_000n) {}

  set(c: ChannelInfo): this {
    this.channels.set(c.id, c);
    return this;
  }

  async channel(id: bigint): Promise<ChannelInfo | null> {
    const c = this.channels.get(id);
    return c ? { ...c } : null;
  }

  async now(): Promise<bigint> {
    return this.clock();
  }

  async settlementWindow(): Promise<bigint> {
    return this.window;
  }
}

/**
 * Brief caching shared by the remote sources: a guest's vouchers arrive every
 * few seconds and the fields that matter (key, deposit, expiry) change only by
 * a top up, which the next read after the cache sees. A miss is not cached:
 * the channel may confirm in the next block. Block time is extrapolated from
 * the last reading with the local clock.
 */
export abstract class CachedChannelSource implements ChannelSource {
  readonly #cache = new Map<bigint, { at: number; info: ChannelInfo }>();
  #time: { at: number; value: bigint } | null = null;
  #window: bigint | null = null;

  constructor(private readonly ttlMs: number, protected readonly clock: () => number) {}

  protected abstract read(id: bigint): Promise<ChannelInfo | null>;
  protected abstract readTime(): Promise<bigint>;
  protected abstract readWindow(): Promise<bigint>;

  /** For sources whose answers carry block time or the window along. */
  protected noteTime(value: bigint): void {
    this.#time = { at: this.clock(), value };
  }
  protected noteWindow(value: bigint): void {
    this.#window = value;
  }

  async channel(id: bigint): Promise<ChannelInfo | null> {
    const hit = this.#cache.get(id);
    if (hit && this.clock() - hit.at < this.ttlMs) return hit.info;
    const info = await this.read(id);
    if (this.#cache.size > 10_000) this.#cache.clear();
    if (info) this.#cache.set(id, { at: this.clock(), info });
    else this.#cache.delete(id);
    return info;
  }

  /** Forgets a channel so the next check reads it again (after a top up). */
  forget(id: bigint): void {
    this.#cache.delete(id);
  }

  async now(): Promise<bigint> {
    if (this.#time && this.clock() - this.#time.at < this.ttlMs) return this.#time.value + BigInt(this.clock() - this.#time.at);
    this.noteTime(await this.readTime());
    return this.#time!.value;
  }

  async settlementWindow(): Promise<bigint> {
    this.#window ??= await this.readWindow();
    return this.#window;
  }
}
