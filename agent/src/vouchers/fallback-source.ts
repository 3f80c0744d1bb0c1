import type { Logger } from '../log.js';
import { RpcFailure } from '../uplink/rpc-client.js';
import type { ChannelInfo, ChannelSource } from './channel-source.js';

/**
 * The gateway first, the chain directly while the gateway cannot answer.
 * The chain knows nothing of vouchers another router took, so while falling
 * back only channels opened at this very router are served: a roaming
 * guest's channel waits for the gateway, or an old voucher could buy
 * service twice.
 */
export class FallbackChannelSource implements ChannelSource {
  #falling = false;

  constructor(private readonly gateway: ChannelSource, private readonly chain: ChannelSource,
    private readonly routerKey: string, private readonly log: Logger) {}

  async channel(id: bigint): Promise<ChannelInfo | null> {
    return this.#either((s) => s.channel(id), (c, e) => {
      if (c && c.router.toLowerCase() !== this.routerKey.toLowerCase()) throw e;
      return c;
    });
  }

  now(): Promise<bigint> {
    return this.#either((s) => s.now(), (v) => v);
  }

  settlementWindow(): Promise<bigint> {
    return this.#either((s) => s.settlementWindow(), (v) => v);
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
