import { rpc, tx, u, wallet } from '@cityofzion/neon-js';
import type { Account, RPCClient } from './neon.js';
import type { Logger } from 'pino';
import type { Notification, StackItem } from '../../protocol/src/index.js';

export interface Sent {
  txid: string;
  systemFee: bigint;
  networkFee: bigint;
  /** Serialized size in bytes, what the network fee is mostly paid for. */
  size: number;
}

export interface Built extends Sent {
  /** The signed transaction's bytes. */
  raw: Buffer;
}

export type Outcome = Sent & Execution;

export interface Execution {
  vmstate: 'HALT' | 'FAULT';
  exception: string | null;
  gasConsumed: bigint;
  stack: StackItem[];
  notifications: Notification[];
}

/**
 * The witness scope of each signer, in the order of the accounts: the first
 * pays. CalledByEntry (the default for every signer) lets the signer's
 * witness reach the contract the script calls; None only pays, as a
 * sponsor that is first signer of a guest's open does (design.md: the guest
 * second, CalledByEntry, pays exactly the deposit).
 */
export type Scope = 'None' | 'CalledByEntry';

export interface SendOptions {
  /** One per account; absent: CalledByEntry for all. */
  scopes?: Scope[];
  /** Skip the test invocation and send even if it would FAULT (with this system fee). */
  forceSystemFee?: bigint;
  validForBlocks?: number;
  /**
   * Added to the test invocation's GAS. The test runs on the current state;
   * transactions sent together may meet a slightly different one in the
   * block (a FAULT for want of GAS). Unused system fee is not refunded.
   */
  extraSystemFee?: bigint;
}

export class ChainError extends Error {
  override name = 'ChainError';
}

/** Builds, signs, sends and waits for transactions; the first account pays. */
export class Transactor {
  constructor(
    readonly client: RPCClient,
    readonly magic: number,
    private readonly log?: Logger,
  ) {}

  /**
   * A signed transaction and its id, not yet sent: a caller that must never
   * pay twice records the id as pending first, then relays the bytes.
   */
  async build(scriptHex: string, accounts: Account[], opts: SendOptions = {}): Promise<Built> {
    if (accounts.length === 0) throw new ChainError('a transaction needs a signer to pay for it');
    if (opts.scopes && opts.scopes.length !== accounts.length) throw new ChainError('one scope per signer');
    const scope = (i: number) => (opts.scopes?.[i] === 'None' ? tx.WitnessScope.None : tx.WitnessScope.CalledByEntry);
    const signers = accounts.map((a, i) => new tx.Signer({ account: a.scriptHash, scopes: scope(i) }));
    const script = u.HexString.fromHex(scriptHex);
    let systemFee = opts.forceSystemFee;
    if (systemFee === undefined) {
      const test = await this.client.invokeScript(script, signers);
      if (test.state !== 'HALT') throw new ChainError(`test invocation faulted: ${test.exception ?? 'no reason given'}`);
      systemFee = BigInt(test.gasconsumed) + (opts.extraSystemFee ?? 0n);
    }
    const height = await this.client.getBlockCount();
    const t = new tx.Transaction({
      signers,
      script,
      validUntilBlock: height + (opts.validForBlocks ?? 100),
      systemFee: u.BigInteger.fromDecimal(systemFee.toString(), 0),
    });
    // calculatenetworkfee prices each witness by its verification script.
    t.witnesses = accounts.map((a) => new tx.Witness({ invocationScript: '', verificationScript: wallet.getVerificationScriptFromPublicKey(a.publicKey) }));
    const networkFee = BigInt(await this.client.calculateNetworkFee(t));
    t.networkFee = u.BigInteger.fromDecimal(networkFee.toString(), 0);
    t.witnesses = [];
    for (const a of accounts) t.sign(a, this.magic);
    const raw = Buffer.from(t.serialize(true), 'hex');
    return { txid: '0x' + t.hash(), systemFee, networkFee, size: raw.length, raw };
  }

  async send(scriptHex: string, accounts: Account[], opts: SendOptions = {}): Promise<Sent> {
    const { raw, ...sent } = await this.build(scriptHex, accounts, opts);
    await this.relay(raw);
    this.log?.debug({ txid: sent.txid, systemFee: String(sent.systemFee), networkFee: String(sent.networkFee), size: sent.size }, 'chain tx sent');
    return sent;
  }

  /**
   * Sends an already signed transaction as it is (a guest's wallet signed
   * it); neon-js is not asked to parse it, since it cannot read every
   * attribute a wallet may set. Returns the id the node reports.
   */
  async relay(raw: Uint8Array): Promise<string> {
    const q = new rpc.Query<[string], { hash: string }>({ method: 'sendrawtransaction', params: [Buffer.from(raw).toString('base64')] });
    const r = await this.client.execute(q);
    return r.hash;
  }

  async wait(sent: Sent, timeoutMs = 30_000): Promise<Outcome> {
    return { ...sent, ...(await this.execution(sent.txid, timeoutMs)) };
  }

  /** Waits until the transaction is in a block and returns its execution (HALT or FAULT). */
  async execution(txid: string, timeoutMs = 30_000): Promise<Execution> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const log = await this.client.getApplicationLog(txid);
        const ex = log.executions[0];
        if (!ex) throw new ChainError(`no execution in application log of ${txid}`);
        return {
          vmstate: ex.vmstate === 'HALT' ? 'HALT' : 'FAULT',
          exception: ex.exception ?? null,
          gasConsumed: BigInt(ex.gasconsumed),
          stack: (ex.stack ?? []) as StackItem[],
          notifications: ex.notifications as Notification[],
        };
      } catch (err) {
        if (err instanceof ChainError) throw err;
        if (Date.now() > deadline) throw new ChainError(`transaction ${txid} not in a block after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async run(scriptHex: string, accounts: Account[], opts?: SendOptions): Promise<Outcome> {
    return this.wait(await this.send(scriptHex, accounts, opts));
  }
}
