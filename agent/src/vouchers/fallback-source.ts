import type { Logger } from '../log.js';
import { RpcFailure } from '../uplink/rpc-client.js';
import type { ChannelInfo, ChannelSource } from './channel-source.js';

/**
 * The gateway first, the chain directly while the gateway cannot answer.
 * The chain knows nothing of vouchers another router took, so while falling
 * back only channels this router alone has served are served (`servedOnlyHere`:
 * it holds their newest voucher and the gateway last said no other router
 * took one): a roaming guest's channel waits for the gateway, or an old
 * voucher could buy service twice. A channel's first voucher waits too.
 */
export class FallbackChannelSource implements ChannelSource {
  #falling = false;

  constructor(
    private readonly gateway: ChannelSource,
    private readonly chain: ChannelSource,
    private readonly servedOnlyHere: (id: bigint) => boolean,
    private readonly log: Logger,
  ) {}

  async channel(id: bigint): Promise<ChannelInfo | null> {
    return this.#either(
      (s) => s.channel(id),
      (c, e) => {
        if (c && !this.servedOnlyHere(c.id)) throw e;
        return c;
      },
    );
  }

  now(): Promise<bigint> {
    return this.#either(
      (s) => s.now(),
      (v) => v,
    );
  }

  settlementWindow(): Promise<bigint> {
    return this.#either(
      (s) => s.settlementWindow(),
      (v) => v,
    );
  }

  routerOwner(): Promise<string | null> {
    return this.#either(
      (s) => s.routerOwner(),
      (v) => v,
    );
  }

  currentPlans() {
    return this.#either(
      (s) => s.currentPlans(),
      (v) => v,
    );
  }

  planVersion(owner: string, planId: number, version: number): Promise<Uint8Array | null> {
    return this.#either(
      (s) => s.planVersion(owner, planId, version),
      (v) => v,
    );
  }

  async #either<T>(ask: (s: ChannelSource) => Promise<T>, fallen: (v: T, gatewayError: RpcFailure) => T): Promise<T> {
    try {
      const v = await ask(this.gateway);
      if (this.#falling) this.log.info('gateway answers again; channels read through it');
      this.#falling = false;
      return v;
    } catch (e) {
      if (!(e instanceof RpcFailure) || !e.transient) throw e;
      if (!this.#falling) this.log.warn({ err: e.message }, 'gateway not answering; reading channels from the chain (roaming guests wait)');
      this.#falling = true;
      return fallen(await ask(this.chain), e);
    }
  }
}
