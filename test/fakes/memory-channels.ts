import type { ChannelInfo, ChannelSource } from '../../agent/src/vouchers/channel-source.js';
import type { PlanRecord } from '../../protocol/src/index.js';

/** Channels set by the test; block time from a clock the test moves. */
export class MemoryChannelSource implements ChannelSource {
  readonly channels = new Map<bigint, ChannelInfo>();
  /** owner: whom this router's channels must pay (null: the router is not registered). */
  constructor(
    public clock: () => bigint = () => BigInt(Date.now()),
    public window = 3_600_000n,
    public owner: string | null = null,
  ) {}

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

  async routerOwner(): Promise<string | null> {
    return this.owner;
  }

  /** Plans the test published, by id; none by default. */
  readonly plans = new Map<number, PlanRecord>();
  /** Versions the test published apart from the current ones in `plans`, by `${planId}:${version}`. */
  readonly versions = new Map<string, Uint8Array>();
  async currentPlans() {
    return { owner: this.owner, plans: [...this.plans].map(([planId, p]) => ({ planId, version: p.version, terms: p.terms })) };
  }

  /** A version set in `versions`; else the current terms of the plan stand for any version of it. */
  async planVersion(_owner: string, planId: number, version: number): Promise<Uint8Array | null> {
    return this.versions.get(`${planId}:${version}`) ?? this.plans.get(planId)?.terms ?? null;
  }
}
