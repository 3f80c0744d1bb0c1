import type { ChannelInfo, ChannelSource } from './channel-source.js';

/** The subset of gateway/src/chain's QlinkClient this needs, so tests and the bench can stand in for it. */
export interface ContractReader {
  getChannel(id: bigint): Promise<{
    id: bigint; owner: string; router: string; voucherKey: string;
    deposit: bigint; redeemed: bigint; expiry: bigint; closed: boolean;
  } | null>;
  chainTime(): Promise<bigint>;
}

const TTL_MS = 2_000;

/**
 * Channel state read from the contract with test invocations. A test
 * invocation runs against the latest persisted block, so whatever it returns
 * is confirmed; a channel whose opening transaction is still in the mempool
 * reads as null. Reads are cached briefly: a guest's vouchers arrive every
 * few seconds and the fields that matter (key, deposit, expiry) change only
 * by a top up, which the next read after the cache sees.
 */
export class ChainChannelSource implements ChannelSource {
  readonly #cache = new Map<bigint, { at: number; info: ChannelInfo | null }>();
  #time: { at: number; value: bigint } | null = null;

  constructor(private readonly reader: ContractReader, private readonly clock: () => number = Date.now) {}

  async channel(id: bigint): Promise<ChannelInfo | null> {
    const hit = this.#cache.get(id);
    // A miss is not cached: the channel may confirm in the next block.
    if (hit?.info && this.clock() - hit.at < TTL_MS) return hit.info;
    const c = await this.reader.getChannel(id);
    const info = c && { ...c, confirmed: true };
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(id, { at: this.clock(), info });
    return info;
  }

  /** Forgets a channel so the next check reads it again (after a top up). */
  forget(id: bigint): void {
    this.#cache.delete(id);
  }

  async now(): Promise<bigint> {
    if (this.#time && this.clock() - this.#time.at < TTL_MS) return this.#time.value + BigInt(this.clock() - this.#time.at);
    const value = await this.reader.chainTime();
    this.#time = { at: this.clock(), value };
    return value;
  }
}
