import type { QlinkClient } from '../../../chain/src/client.js';
import { type Channel, parseEvents, type PlanRecord, type QlinkEvent } from '../../../protocol/src/index.js';
import { timed, type Executed } from '../settle/chain.js';

/** An execution with the contract's events, which tell the router what a relayed transaction opened. */
export interface ExecutedWithEvents extends Executed {
  events: QlinkEvent[];
}

/** The chain calls the channel service makes; a seam for tests. Every call gives up after a timeout. */
export interface RpcChain {
  channel(id: number): Promise<Channel | null>;
  /** Sends signed bytes as they are; the txid the node reports. */
  relay(raw: Buffer): Promise<string>;
  /** The execution once in a block, or null if it is not in one within ms. */
  executed(txid: string, ms: number): Promise<ExecutedWithEvents | null>;
  /** Block time (ms) of the newest block: what a channel's expiry is compared with. */
  chainTime(): Promise<bigint>;
  /** How long (ms) after expiry the owner may still redeem; the guest's refund opens after it. Fixed at deployment. */
  settlementWindow(): Promise<bigint>;
  /** The current version of an owner's plan, or null when it is not published. */
  plan(owner: string, planId: number): Promise<PlanRecord | null>;
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
    plan: (owner, planId) => timed(client.getPlan(owner, planId), timeoutMs, 'getPlan'),
  };
}
