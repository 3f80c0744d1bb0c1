import type { GatewayRpc } from '../uplink/gateway-rpc.js';
import { CachedChannelSource, type ChannelInfo, type ReadGuard } from './channel-source.js';
import type { ChannelAnswer } from '../../../protocol/src/index.js';

/**
 * Channel state from the gateway's channel service, so a router needs no
 * NEO RPC node of its own. The gateway reads the chain (a test invocation on
 * the latest persisted block, so what it returns is confirmed) and adds the
 * newest voucher it holds for the channel from any of the owner's routers:
 * what a router needs to refuse a voucher another router already took
 * (roaming). Cached for a second only, so that knowledge stays fresh.
 */
export class GatewayChannelSource extends CachedChannelSource {
  constructor(
    private readonly gateway: Pick<GatewayRpc, 'channel' | 'plans' | 'planVersion'>,
    clock: () => number = Date.now,
    guard?: ReadGuard,
  ) {
    super(1_000, clock, guard);
  }

  protected async read(id: bigint): Promise<ChannelInfo | null> {
    return this.#info(await this.gateway.channel(id));
  }

  // Every answer carries block time and the settlement window; any channel id will do to ask for them.
  protected async readTime(): Promise<bigint> {
    return (await this.#ask()).time;
  }

  protected async readWindow(): Promise<bigint> {
    return (await this.#ask()).settlementWindowMs;
  }

  protected async readOwner(): Promise<string | null> {
    return (await this.#ask()).routerOwner;
  }

  /** Not cached here: the plan book keeps versions for good and the current list briefly. */
  currentPlans() {
    return this.gateway.plans();
  }

  planVersion(owner: string, planId: number, version: number): Promise<Uint8Array | null> {
    return this.gateway.planVersion(owner, planId, version);
  }

  async #ask(): Promise<ChannelAnswer> {
    const a = await this.gateway.channel(1n);
    this.#info(a);
    return a;
  }

  #info(a: ChannelAnswer): ChannelInfo | null {
    this.noteTime(a.time);
    this.noteWindow(a.settlementWindowMs);
    const c = a.channel;
    if (!c) return null;
    return {
      id: c.id,
      owner: c.owner,
      voucherKey: c.voucherKey,
      deposit: c.deposit,
      redeemed: c.redeemed,
      expiry: c.expiry,
      closed: c.closed,
      planId: c.planId,
      planVersion: c.planVersion,
      confirmed: true,
      newest: a.voucher && { amount: a.voucher.amount, signature: a.voucher.signature },
    };
  }
}
