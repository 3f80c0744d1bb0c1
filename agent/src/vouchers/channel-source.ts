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
}

/**
 * Where channel state comes from. The agent reads the contract directly
 * (ChainChannelSource); the gateway's channel service over MQTT is another
 * implementation of the same seam, and unit tests use MemoryChannelSource.
 */
export interface ChannelSource {
  /** Null when the chain knows no such channel (yet). */
  channel(id: bigint): Promise<ChannelInfo | null>;
  /** Block time (ms) that expiry is compared with. */
  now(): Promise<bigint>;
}

export class MemoryChannelSource implements ChannelSource {
  readonly channels = new Map<bigint, ChannelInfo>();
  constructor(public clock: () => bigint = () => BigInt(Date.now())) {}

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
}
