import type { ChannelReader, PlanReader, RouterReader } from '../../../chain/src/reader.js';
import { CachedChannelSource, type ChannelInfo, type ReadGuard } from './channel-source.js';

/**
 * Channel state read from the contract with test invocations. A test
 * invocation runs against the latest persisted block, so whatever it returns
 * is confirmed; a channel whose opening transaction is still in the mempool
 * reads as null.
 */
export class ChainChannelSource extends CachedChannelSource {
  constructor(
    private readonly reader: ChannelReader & RouterReader & PlanReader,
    private readonly routerKey: string,
    clock: () => number = Date.now,
    guard?: ReadGuard,
  ) {
    super(2_000, clock, guard);
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

  protected async readOwner(): Promise<string | null> {
    const r = await this.reader.getRouter(this.routerKey);
    return r?.active ? r.owner : null;
  }

  /** Not cached here: the plan book keeps versions for good and the current list briefly. */
  async currentPlans() {
    const owner = await this.routerOwner();
    if (!owner) return { owner: null, plans: [] };
    const list = await this.reader.getPlans(owner);
    return { owner, plans: list.map((p) => ({ planId: p.planId, version: p.plan.version, terms: p.plan.terms })) };
  }

  planVersion(owner: string, planId: number, version: number): Promise<Uint8Array | null> {
    return this.reader.getPlanVersion(owner, planId, version);
  }
}
