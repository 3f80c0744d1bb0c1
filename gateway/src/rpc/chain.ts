import type { QlinkClient } from '../chain/client.js';
import { parseEvents, type QlinkEvent } from '../chain/events.js';
import type { Channel } from '../chain/records.js';
import { timed } from '../settle/chain.js';

/** The chain calls the channel service makes; a seam for tests. Every call gives up after a timeout. */
export interface RpcChain {
  channel(id: number): Promise<Channel | null>;
  /** Sends signed bytes as they are; the txid the node reports. */
  relay(raw: Buffer): Promise<string>;
  /** The execution once in a block, or null if it is not in one within ms. */
  executed(txid: string, ms: number): Promise<{ vmstate: 'HALT' | 'FAULT'; exception: string | null; events: QlinkEvent[] } | null>;
}

export function neonRpcChain(client: QlinkClient, timeoutMs = 15_000): RpcChain {
  return {
    channel: (id) => timed(client.getChannel(BigInt(id)), timeoutMs, 'getChannel'),
    relay: (raw) => timed(client.tx.relay(raw), timeoutMs, 'sendrawtransaction'),
    async executed(txid, ms) {
      try {
        const ex = await client.tx.execution(txid, ms);
        return { vmstate: ex.vmstate, exception: ex.exception, events: parseEvents(client.config.contract, ex.notifications) };
      } catch (e) {
        if (/not in a block after/.test((e as Error).message)) return null;
        throw e;
      }
    },
  };
}
