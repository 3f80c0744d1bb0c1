import { rpc, sc } from '@cityofzion/neon-js';
import type { Logger } from 'pino';
import {
  asBigInt,
  asBytes,
  type Channel,
  claimMessage,
  type Deployment,
  encodePlanTerms,
  parseEvents,
  type PlanRecord,
  type PlanTerms,
  type QlinkEvent,
  type RoundHead,
  type Router,
  type StackItem,
} from '../../protocol/src/index.js';
import { privateKeyFromHex, signP256 } from '../../protocol/src/node/index.js';
import type { ChainConfig } from './config.js';
import type { Account, ContractParam, RPCClient } from './neon.js';
import { ContractReader } from './reader.js';
import {
  anchorRoundArgs,
  call,
  calls,
  closeArgs,
  GAS,
  intParam,
  openScript,
  publishPlanArgs,
  redeemBatchScript,
  registerRouterArgs,
  rekeyArgs,
  setCloserArgs,
  topUpScript,
  type OpenParams,
  type VoucherItem,
} from './scripts.js';
import { ChainError, Transactor, type Execution, type Outcome, type SendOptions } from './transactor.js';

export interface Result extends Outcome {
  events: QlinkEvent[];
}

/** A router key as its owner's registration needs it: the claim it signs names the owner. */
export interface RouterKey {
  publicKey: string;
  privateKey: string;
}

/** The qlink contract over standard NEO JSON-RPC: reads are test invocations, writes are transactions. */
export class QlinkClient {
  readonly rpc: RPCClient;
  readonly tx: Transactor;
  /** Reads over plain JSON-RPC, shared with the router (no neon-js there). */
  readonly reader: ContractReader;

  constructor(
    readonly config: ChainConfig,
    log?: Logger,
  ) {
    this.rpc = new rpc.RPCClient(config.rpc);
    this.tx = new Transactor(this.rpc, config.networkMagic, log);
    this.reader = new ContractReader(config.rpc, config.contract);
  }

  get deployment(): Deployment {
    return { networkMagic: this.config.networkMagic, contract: this.config.contract };
  }

  async read(operation: string, args: ContractParam[] = [], contract = this.config.contract): Promise<StackItem | undefined> {
    const r = await this.rpc.invokeFunction(contract, operation, args);
    if (r.state !== 'HALT') throw new ChainError(`${operation} faulted: ${r.exception ?? ''}`);
    return r.stack[0] as StackItem | undefined;
  }

  getRouter(key: string): Promise<Router | null> {
    return this.reader.getRouter(key);
  }
  getChannel(id: bigint): Promise<Channel | null> {
    return this.reader.getChannel(id);
  }
  getPlan(owner: string, planId: number): Promise<PlanRecord | null> {
    return this.reader.getPlan(owner, planId);
  }
  getRound(anchorer: string): Promise<RoundHead> {
    return this.reader.getRound(anchorer);
  }
  isCloser(owner: string, closer: string): Promise<boolean> {
    return this.reader.isCloser(owner, closer);
  }
  settlementWindow(): Promise<bigint> {
    return this.reader.settlementWindow();
  }
  /** Block time (ms) of the newest block: what expiry is compared with. */
  chainTime(): Promise<bigint> {
    return this.reader.chainTime();
  }
  /** The voucher bytes as the contract builds them, to check a local builder against. */
  async voucherMessage(id: bigint, amount: bigint): Promise<Uint8Array> {
    return asBytes(await this.read('voucherMessage', [intParam(id), intParam(amount)]));
  }
  async balanceOf(address: string, token = GAS): Promise<bigint> {
    return asBigInt(await this.read('balanceOf', [sc.ContractParam.hash160(address)], token));
  }

  async run(script: string, accounts: Account[], opts?: SendOptions): Promise<Result> {
    const out = await this.tx.run(script, accounts, opts);
    return { ...out, events: parseEvents(this.config.contract, out.notifications) };
  }

  /** Relays a transaction someone else signed and waits for its execution. */
  async relay(raw: Uint8Array, timeoutMs?: number): Promise<Execution & { txid: string; events: QlinkEvent[] }> {
    const txid = await this.tx.relay(raw);
    const ex = await this.tx.execution(txid, timeoutMs);
    return { ...ex, txid, events: parseEvents(this.config.contract, ex.notifications) };
  }

  private invoke(accounts: Account[], operation: string, args: ContractParam[], opts?: SendOptions): Promise<Result> {
    return this.run(call(this.config.contract, operation, args), accounts, opts);
  }

  /** The router's claim for this owner, signed with the router's key: what registerRouter checks. */
  claim(router: RouterKey, owner: string, claimUntil: bigint): Uint8Array {
    return signP256(privateKeyFromHex(router.privateKey), claimMessage(this.deployment, router.publicKey, owner, claimUntil));
  }

  /** The owner registers a router it holds a claim of, and publishes plans in the same transaction. */
  registerRouter(owner: Account, router: RouterKey, plans: Array<{ planId: number; terms: PlanTerms }> = [], claimUntil?: bigint): Promise<Result> {
    const until = claimUntil ?? BigInt(Date.now() + 3_600_000);
    const ownerHash = '0x' + owner.scriptHash;
    const script = calls(this.config.contract, [
      ['registerRouter', registerRouterArgs(ownerHash, router.publicKey, until, this.claim(router, ownerHash, until))],
      ...plans.map((p): [string, ContractParam[]] => ['publishPlan', publishPlanArgs(ownerHash, p.planId, encodePlanTerms(p.terms))]),
    ]);
    return this.run(script, [owner]);
  }
  publishPlans(owner: Account, plans: Array<{ planId: number; terms: PlanTerms }>): Promise<Result> {
    const ownerHash = '0x' + owner.scriptHash;
    return this.run(
      calls(
        this.config.contract,
        plans.map((p) => ['publishPlan', publishPlanArgs(ownerHash, p.planId, encodePlanTerms(p.terms))]),
      ),
      [owner],
    );
  }
  retireRouter(owner: Account, router: string): Promise<Result> {
    return this.invoke([owner], 'retireRouter', [sc.ContractParam.byteArray(Buffer.from(router, 'hex').toString('base64'))]);
  }
  setCloser(owner: Account, closer: string, allowed: boolean): Promise<Result> {
    return this.invoke([owner], 'setCloser', setCloserArgs('0x' + owner.scriptHash, closer, allowed));
  }
  openChannel(guest: Account, p: OpenParams, opts?: SendOptions): Promise<Result> {
    return this.run(openScript(this.config.contract, guest.address, p), [guest], opts);
  }
  topUp(guest: Account, id: bigint, amount: bigint, expiry = 0n): Promise<Result> {
    return this.run(topUpScript(this.config.contract, guest.address, id, amount, expiry), [guest]);
  }
  redeem(sender: Account, v: VoucherItem): Promise<Result> {
    return this.invoke([sender], 'redeem', [intParam(v.id), intParam(v.amount), sc.ContractParam.byteArray(Buffer.from(v.signature).toString('base64'))]);
  }
  redeemBatch(sender: Account, items: VoucherItem[]): Promise<Result> {
    return this.run(redeemBatchScript(this.config.contract, items), [sender]);
  }
  /** `by` (the owner, or a closer the owner authorised) signs; the first account pays. */
  close(accounts: Account[], v: VoucherItem, by: Account): Promise<Result> {
    const signers = accounts.some((a) => a.scriptHash === by.scriptHash) ? accounts : [...accounts, by];
    return this.invoke(signers, 'close', closeArgs(v, '0x' + by.scriptHash));
  }
  refund(sender: Account, id: bigint): Promise<Result> {
    return this.invoke([sender], 'refund', [intParam(id)]);
  }
  rekey(accounts: Account[], id: bigint, newKey: string, proof: { publicKey: string; salt: string; signature: Uint8Array } | null = null): Promise<Result> {
    return this.invoke(accounts, 'rekey', rekeyArgs(id, newKey, proof));
  }
  anchorRound(anchorer: Account, round: bigint, root: string): Promise<Result> {
    return this.invoke([anchorer], 'anchorRound', anchorRoundArgs('0x' + anchorer.scriptHash, round, root));
  }
}
