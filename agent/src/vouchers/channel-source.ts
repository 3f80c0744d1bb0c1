import type { PlanSource } from '../plans/book.js';
/** What the agent needs to know about a payment channel before it grants service for a voucher. */
export interface ChannelInfo {
  id: bigint;
  /** Script hash (0x…) of the payee: the owner of the router the channel was opened at. */
  owner: string;
  /** Compressed public key (hex) the guest signs vouchers with. */
  voucherKey: string;
  deposit: bigint;
  redeemed: bigint;
  /** Milliseconds since the epoch, compared with block time. */
  expiry: bigint;
  closed: boolean;
  /** The owner's plan, and the version of its terms, the channel opened under. */
  planId: number;
  planVersion: number;
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
 * (GatewayChannelSource); test/fakes/memory-channels.ts stands in for both in unit tests.
 */
export interface ChannelSource extends PlanSource {
  /** Null when the chain knows no such channel (yet). */
  channel(id: bigint): Promise<ChannelInfo | null>;
  /** Block time (ms) that expiry is compared with. */
  now(): Promise<bigint>;
  /** How long (ms) after expiry the owner may still redeem; the guest's refund opens after it. */
  settlementWindow(): Promise<bigint>;
  /** The owner this router's channels must pay, as the chain has it; null when the router is not registered (or retired). */
  routerOwner(): Promise<string | null>;
}

/** What a remote source does around a read that costs an RPC (portal/start.ts wires the guest's limits in). */
export interface ReadGuard {
  /** A look-up that found no channel is answered from memory this long (0: not at all). */
  missTtlMs: number;
  /** Called before each channel read that goes out; throws to refuse it (a guest over its look-up limit). */
  beforeRead?: () => void;
}

/**
 * Brief caching shared by the remote sources: a guest's vouchers arrive every
 * few seconds and the fields that matter (key, deposit, expiry) change only by
 * a top up, which the next read after the cache sees. A miss is cached only
 * briefly (guard.missTtlMs): the channel may confirm in the next block, and a
 * guest asking again and again for one that does not exist costs one read a
 * while. Block time is extrapolated from the last reading with the local clock.
 */
export abstract class CachedChannelSource implements ChannelSource {
  readonly #cache = new Map<bigint, { at: number; info: ChannelInfo }>();
  readonly #misses = new Map<bigint, number>();
  #time: { at: number; value: bigint } | null = null;
  #window: bigint | null = null;
  #owner: { at: number; value: string | null } | null = null;

  constructor(
    private readonly ttlMs: number,
    protected readonly clock: () => number,
    private readonly guard: ReadGuard = { missTtlMs: 0 },
  ) {}

  protected abstract read(id: bigint): Promise<ChannelInfo | null>;
  protected abstract readTime(): Promise<bigint>;
  protected abstract readWindow(): Promise<bigint>;
  protected abstract readOwner(): Promise<string | null>;
  abstract currentPlans(): ReturnType<PlanSource['currentPlans']>;
  abstract planVersion(owner: string, planId: number, version: number): Promise<Uint8Array | null>;

  /** For sources whose answers carry block time or the window along. */
  protected noteTime(value: bigint): void {
    this.#time = { at: this.clock(), value };
  }
  protected noteWindow(value: bigint): void {
    this.#window = value;
  }

  async channel(id: bigint): Promise<ChannelInfo | null> {
    const now = this.clock();
    const hit = this.#cache.get(id);
    if (hit && now - hit.at < this.ttlMs) return hit.info;
    const missed = this.#misses.get(id);
    if (missed !== undefined && now - missed < this.guard.missTtlMs) return null;
    this.guard.beforeRead?.();
    const info = await this.read(id);
    if (this.#cache.size > 10_000) this.#cache.clear();
    if (this.#misses.size > 10_000) this.#misses.clear();
    if (info) {
      this.#cache.set(id, { at: this.clock(), info });
      this.#misses.delete(id);
    } else {
      this.#cache.delete(id);
      if (this.guard.missTtlMs > 0) this.#misses.set(id, this.clock());
    }
    return info;
  }

  /** Forgets a channel so the next check reads it again (after a top up, or a relay that opened it). */
  forget(id: bigint): void {
    this.#cache.delete(id);
    this.#misses.delete(id);
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

  /** Read again every minute (a retirement is seen within one); "not registered" every 5 s, so a registration from the owner's page is seen at once. */
  async routerOwner(): Promise<string | null> {
    if (this.#owner && this.clock() - this.#owner.at < (this.#owner.value ? 60_000 : 5_000)) return this.#owner.value;
    this.#owner = { at: this.clock(), value: await this.readOwner() };
    return this.#owner.value;
  }
}
