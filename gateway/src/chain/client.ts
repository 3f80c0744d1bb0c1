import { rpc, sc } from '@cityofzion/neon-js';
import type { Account, ContractParam, RPCClient } from './neon.js';
import type { Logger } from 'pino';
import type { ChainConfig } from './config.js';
import { parseEvents, type QlinkEvent } from './events.js';
import { decodeAnchor, decodeChannel, decodeHead, decodeRouter, type Anchor, type AnchorHead, type Channel, type Router } from './records.js';
import { bytesParam, call, GAS, intParam, openScript, redeemBatchScript, topUpScript, type OpenParams, type VoucherItem } from './scripts.js';
import { asBigInt, asBool, asBytes, type StackItem } from './stack.js';
import { ChainError, Transactor, type Execution, type Outcome, type SendOptions } from './transactor.js';

export interface Result extends Outcome {
  events: QlinkEvent[];
}

/** The qlink contract over standard NEO JSON-RPC: reads are test invocations, writes are transactions. */
export class QlinkClient {
  readonly rpc: RPCClient;
  readonly tx: Transactor;

  constructor(
    readonly config: ChainConfig,
    log?: Logger,
  ) {
    this.rpc = new rpc.RPCClient(config.rpc);
    this.tx = new Transactor(this.rpc, config.magic, log);
  }

  async read(operation: string, args: ContractParam[] = [], contract = this.config.contract): Promise<StackItem | undefined> {
    const r = await this.rpc.invokeFunction(contract, operation, args);
    if (r.state !== 'HALT') throw new ChainError(`${operation} faulted: ${r.exception ?? ''}`);
    return r.stack[0] as StackItem | undefined;
  }

  async getRouter(key: string): Promise<Router | null> {
    return decodeRouter(await this.read('getRouter', [bytesParam(key)]));
  }
  async getChannel(id: bigint): Promise<Channel | null> {
    return decodeChannel(await this.read('getChannel', [intParam(id)]));
  }
  async getAnchor(router: string, seq: bigint): Promise<Anchor | null> {
    return decodeAnchor(await this.read('getAnchor', [bytesParam(router), intParam(seq)]));
  }
  async getAnchorHead(router: string): Promise<AnchorHead> {
    return decodeHead(await this.read('getAnchorHead', [bytesParam(router)]));
  }
  async settlementWindow(): Promise<bigint> {
    return asBigInt(await this.read('settlementWindow'));
  }
  async isTokenAccepted(owner: string, token: string): Promise<boolean> {
    return asBool(await this.read('isTokenAccepted', [sc.ContractParam.hash160(owner), sc.ContractParam.hash160(token)]));
  }
  /** The voucher bytes as the contract builds them, to check a local builder against. */
  async voucherMessage(id: bigint, amount: bigint): Promise<Buffer> {
    return asBytes(await this.read('voucherMessage', [intParam(id), intParam(amount)]));
  }
  async balanceOf(address: string, token = GAS): Promise<bigint> {
    return asBigInt(await this.read('balanceOf', [sc.ContractParam.hash160(address)], token));
  }
  /** Block time (ms) of the newest block: what expiry is compared with. */
  async chainTime(): Promise<bigint> {
    const height = await this.rpc.getBlockCount();
    return BigInt((await this.rpc.getBlock(height - 1, true)).time);
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

  /** Owner and router both sign: the contract checks both witnesses. */
  registerRouter(owner: Account, router: Account, pricePerMB: bigint, pricePerMinute: bigint): Promise<Result> {
    const args = [sc.ContractParam.hash160(owner.address), bytesParam(router.publicKey), intParam(pricePerMB), intParam(pricePerMinute)];
    return this.invoke([owner, router], 'registerRouter', args);
  }
  updateRouter(owner: Account, router: string, pricePerMB: bigint, pricePerMinute: bigint): Promise<Result> {
    return this.invoke([owner], 'updateRouter', [bytesParam(router), intParam(pricePerMB), intParam(pricePerMinute)]);
  }
  retireRouter(owner: Account, router: string): Promise<Result> {
    return this.invoke([owner], 'retireRouter', [bytesParam(router)]);
  }
  openChannel(guest: Account, p: OpenParams, opts?: SendOptions): Promise<Result> {
    return this.run(openScript(this.config.contract, guest.address, p), [guest], opts);
  }
  topUp(guest: Account, id: bigint, amount: bigint, expiry = 0n): Promise<Result> {
    return this.run(topUpScript(this.config.contract, guest.address, id, amount, expiry), [guest]);
  }
  redeem(sender: Account, v: VoucherItem): Promise<Result> {
    return this.invoke([sender], 'redeem', [intParam(v.id), intParam(v.amount), bytesParam(v.signature)]);
  }
  redeemBatch(sender: Account, items: VoucherItem[]): Promise<Result> {
    return this.run(redeemBatchScript(this.config.contract, items), [sender]);
  }
  /** The first account pays; the owner must be among them. */
  close(accounts: Account[], v: VoucherItem): Promise<Result> {
    return this.invoke(accounts, 'close', [intParam(v.id), intParam(v.amount), bytesParam(v.signature)]);
  }
  refund(sender: Account, id: bigint): Promise<Result> {
    return this.invoke([sender], 'refund', [intParam(id)]);
  }
  anchorBatch(sender: Account, a: { router: string; seq: bigint; prev: string; root: string; signature: Uint8Array }): Promise<Result> {
    const args = [bytesParam(a.router), intParam(a.seq), bytesParam(a.prev), bytesParam(a.root), bytesParam(a.signature)];
    return this.invoke([sender], 'anchorBatch', args);
  }
}
