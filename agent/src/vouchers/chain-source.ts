import { CachedChannelSource, type ChannelInfo } from './channel-source.js';

/** The subset of gateway/src/chain's QlinkClient this needs, so tests and the bench can stand in for it. */
export interface ContractReader {
  getChannel(id: bigint): Promise<{
    id: bigint; owner: string; router: string; voucherKey: string;
    deposit: bigint; redeemed: bigint; expiry: bigint; closed: boolean;
  } | null>;
  chainTime(): Promise<bigint>;
  settlementWindow(): Promise<bigint>;
}

/**
 * Channel state read from the contract with test invocations. A test
 * invocation runs against the latest persisted block, so whatever it returns
 * is confirmed; a channel whose opening transaction is still in the mempool
 * reads as null.
 */
export class ChainChannelSource extends CachedChannelSource {
  constructor(private readonly reader: ContractReader, clock: () => number = Date.now) {
    super(2_000, clock);
  }

  protected async read(id: bigint): Promise<ChannelInfo | null> {
    const c = await this.reader.getChannel(id);
    return c && { ...c, confirmed: true };
  }

  protected readTime(): Promise<bigint> {
    return this.reader.chainTime();
  }

  protected readWindow(): Promise<bigint> {
    return this.reader.settlementWindow();
  }
}
