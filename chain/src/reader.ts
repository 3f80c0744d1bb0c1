import {
  asBigInt,
  asBool,
  asBytes,
  type Channel,
  decodeChannel,
  decodePlan,
  decodeRound,
  decodeRouter,
  fromHex,
  isNull,
  type PlanRecord,
  type RoundHead,
  type Router,
  type StackItem,
  toBase64,
} from '../../protocol/src/index.js';
import { FetchJsonRpc, JsonRpcError, type JsonRpc } from './json-rpc.js';
import { getPlansScript } from './plan-script.js';

/** What callers read of the contract; the agent, the gateway and the verifier take it injected, so tests stand in for it. */
export interface ChannelReader {
  getChannel(id: bigint): Promise<Channel | null>;
  /** Block time (ms) of the newest block: what expiry is compared with. */
  chainTime(): Promise<bigint>;
  /** How long (ms) after expiry the owner may still redeem. */
  settlementWindow(): Promise<bigint>;
}

export interface RouterReader {
  getRouter(key: string): Promise<Router | null>;
}

/** An owner's plans, and what a verifier reads of settlement rounds. */
export interface PlanReader {
  getPlan(owner: string, planId: number): Promise<PlanRecord | null>;
  getPlanVersion(owner: string, planId: number, version: number): Promise<Uint8Array | null>;
  /** Every plan the owner has published (current versions, withdrawn ones included), by plan id. */
  getPlans(owner: string): Promise<Array<{ planId: number; plan: PlanRecord }>>;
}

/** Plan ids run 1..255 (contract/qlink/plans.go); one test invocation reads this many (about 0.65 GAS of a node's MaxGasInvoke at fee factor 30). */
const PLANS_PER_READ = 32;
const PLAN_IDS = Array.from({ length: 255 }, (_, i) => i + 1);

export interface InvokeResult {
  state: 'HALT' | 'FAULT';
  exception?: string | null;
  gasconsumed: string;
  stack: StackItem[];
}

/** A contract parameter as `invokefunction` takes it. */
export type RpcParam =
  | { type: 'Integer'; value: string }
  | { type: 'ByteArray'; value: string }
  | { type: 'Hash160'; value: string }
  | { type: 'String'; value: string };

export const intArg = (n: bigint | number): RpcParam => ({ type: 'Integer', value: n.toString() });
/** Bytes as base64, which `invokefunction` takes for ByteArray. */
export const bytesArg = (b: Uint8Array | string): RpcParam => ({ type: 'ByteArray', value: toBase64(typeof b === 'string' ? fromHex(b) : b) });
export const hash160Arg = (h: string): RpcParam => ({ type: 'Hash160', value: h });

/** The qlink contract's reads as test invocations over standard JSON-RPC (a test invocation sees the latest persisted block). */
export class ContractReader implements ChannelReader, RouterReader, PlanReader {
  readonly rpc: JsonRpc;
  constructor(
    rpc: JsonRpc | string,
    readonly contract: string,
  ) {
    this.rpc = typeof rpc === 'string' ? new FetchJsonRpc(rpc) : rpc;
  }

  async read(operation: string, args: RpcParam[] = [], contract = this.contract): Promise<StackItem | undefined> {
    const r = await this.rpc.call<InvokeResult>('invokefunction', [contract, operation, args]);
    if (r.state !== 'HALT') throw new JsonRpcError(`${operation} faulted: ${r.exception ?? ''}`, null);
    return r.stack[0];
  }

  async getRouter(key: string): Promise<Router | null> {
    return decodeRouter(key.toLowerCase(), await this.read('getRouter', [bytesArg(key)]));
  }
  async getPlan(owner: string, planId: number): Promise<PlanRecord | null> {
    return decodePlan(await this.read('getPlan', [hash160Arg(owner), intArg(planId)]));
  }
  async getPlanVersion(owner: string, planId: number, version: number): Promise<Uint8Array | null> {
    const item = await this.read('getPlanVersion', [hash160Arg(owner), intArg(planId), intArg(version)]);
    return isNull(item) ? null : asBytes(item);
  }
  async getPlans(owner: string): Promise<Array<{ planId: number; plan: PlanRecord }>> {
    const chunks: number[][] = [];
    for (let i = 0; i < PLAN_IDS.length; i += PLANS_PER_READ) chunks.push(PLAN_IDS.slice(i, i + PLANS_PER_READ));
    const read = async (ids: number[]) => {
      const r = await this.rpc.call<InvokeResult>('invokescript', [toBase64(getPlansScript(this.contract, owner, ids))]);
      if (r.state !== 'HALT') throw new JsonRpcError(`getPlan faulted: ${r.exception ?? ''}`, null);
      if (r.stack.length !== ids.length) throw new JsonRpcError(`getPlan: ${r.stack.length} results for ${ids.length} calls`, null);
      return ids.flatMap((planId, i) => {
        const plan = decodePlan(r.stack[i]);
        return plan ? [{ planId, plan }] : [];
      });
    };
    return (await Promise.all(chunks.map(read))).flat();
  }
  async isCloser(owner: string, closer: string): Promise<boolean> {
    return asBool(await this.read('isCloser', [hash160Arg(owner), hash160Arg(closer)]));
  }
  async getRound(anchorer: string): Promise<RoundHead> {
    return decodeRound(await this.read('getRound', [hash160Arg(anchorer)]));
  }
  async getChannel(id: bigint): Promise<Channel | null> {
    return decodeChannel(await this.read('getChannel', [intArg(id)]));
  }
  async settlementWindow(): Promise<bigint> {
    return asBigInt(await this.read('settlementWindow'));
  }
  async chainTime(): Promise<bigint> {
    const height = await this.rpc.call<number>('getblockcount', []);
    const block = await this.rpc.call<{ time: number }>('getblock', [height - 1, true]);
    return BigInt(block.time);
  }
}
