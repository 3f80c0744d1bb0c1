import type { QlinkClient } from '../chain/client.js';
import { parseEvents, type QlinkEvent } from '../chain/events.js';
import type { Channel } from '../chain/records.js';
import { timed } from '../settle/chain.js';

export interface Executed {
  vmstate: 'HALT' | 'FAULT';
  exception: string | null;
  events: QlinkEvent[];
}

/** The chain calls the channel service makes; a seam for tests. Every call gives up after a timeout. */
export interface RpcChain {
  channel(id: number): Promise<Channel | null>;
  /** Sends signed bytes as they are; the txid the node reports. */
  relay(raw: Buffer): Promise<string>;
  /** The execution once in a block, or null if it is not in one within ms. */
  executed(txid: string, ms: number): Promise<Executed | null>;
  /** Block time (ms) of the newest block: what a channel's expiry is compared with. */
  chainTime(): Promise<bigint>;
  /** How long (ms) after expiry the owner may still redeem; the guest's refund opens after it. Fixed at deployment. */
  settlementWindow(): Promise<bigint>;
}

/** Block time is read at most this often; in between it is extrapolated (blocks are seconds apart anyway). */
const TIME_TTL_MS = 1_000;

export function neonRpcChain(client: QlinkClient, timeoutMs = 15_000, clock: () => number = Date.now): RpcChain {
  let time: { at: number; value: bigint } | null = null;
  let window: bigint | null = null;
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
    async chainTime() {
      const now = clock();
      if (time && now - time.at < TIME_TTL_MS) return time.value + BigInt(now - time.at);
      const value = await timed(client.chainTime(), timeoutMs, 'chainTime');
      time = { at: now, value };
      return value;
    },
    async settlementWindow() {
      window ??= await timed(client.settlementWindow(), timeoutMs, 'settlementWindow');
      return window;
    },
  };
}
