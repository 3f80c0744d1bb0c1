import { gasOf, never, type Prompts, sc, tx, u, wallet, type Rpc } from './core.js';

/**
 * A test double of NeoLine 5.8.2's N3 dAPI (NeoNEXT/neoline at 2920be13,
 * the "version 5.8.2" commit), the background and popup side: what the
 * extension does with each request the page's `new NEOLineN3.Init()` sends,
 * holding a real key and signing with neon-js as NeoLine does. Every rule
 * below is from the file named beside it; /work/ext/notes/wallets.md §1 has
 * the runs of the real extension that confirmed them.
 *
 * - Errors are `{ type, description, data }` objects (cross-runtime/neo2-shared.ts ERRORS).
 * - A site must be connected first: every user-facing call runs
 *   checkNeoXConnectAndLogin, which opens the authorization popup; refused,
 *   the call fails CONNECTION_DENIED (extension/dapi/common.ts:61-80,
 *   extension/dapi/neo3.ts getAccount/getPublicKey/invoke/signMessage/signTransaction).
 * - getNetworks needs no connection and carries no magic (extension/dapi/neo3.ts:59,
 *   extension/neoline/index.ts): chainId 3 N3 MainNet, 6 N3 TestNet, 0 a user-added network.
 * - signTransaction: `transaction` missing → MALFORMED_INPUT; the current account
 *   must be among the signers, else MALFORMED_INPUT "Current account is not a signer
 *   in this transaction", no popup (extension/background/index.ts:1635-1668,
 *   tool.ts canCurrentWalletSignTransaction, hashes without 0x, lower case); the popup
 *   signs with Number(magicNumber ?? context.network): NaN throws in the popup and
 *   nothing ever comes back; `new Transaction(json)` drops attributes; the result is
 *   tx.export() with the witness (neo3-sign-transaction.component.ts:73-83, 260-280).
 *   With `{ context }`: the context back with the item's signature (neo3-sign-transaction.util.ts).
 * - invoke: scriptHash, operation and signers (each with account and scopes) or
 *   MALFORMED_INPUT (extension/dapi/neo3.ts:256-282); the script is emitContractCall of
 *   the args (ContractParam.fromJson), ASSERT after each abortOnFail call;
 *   validUntilBlock = given ?? height + 30; systemFee = overrideSystemFee exactly, else
 *   gasconsumed × 1.01 rounded + extraSystemFee; networkFee = calculatenetworkfee of a copy
 *   signed with the fixed dummy key + `fee` (given, else minReqFee + api.neoline.io's
 *   propose_price, which falls back to 0.011 GAS) (src/app/popup/transfer/neo3-invoke.service.ts:59-242,
 *   notification/neo3-invoke/neo3-invoke.component.ts:123-131); with too little GAS for
 *   the fees the popup cannot send (isEnoughFee) and the guest can only cancel; sent:
 *   `{ txid, nodeUrl }`, node errors RPC_ERROR with the node's error as data.
 * - signMessage: `message` missing → MALFORMED_INPUT; signs 01 00 01 f0 ‖ varint ‖
 *   salt ‖ message ‖ 00 00 with a salt of 16 random bytes as 32 hex characters;
 *   `{ publicKey, data, salt, message }` (notification/neo3-signature/neo3-signature.component.ts:81-128).
 * - Cancel, or closing the popup: CANCELED (ERRORS.CANCELLED).
 */

export const ERRORS = {
  CONNECTION_DENIED: { type: 'CONNECTION_DENIED', description: 'The dAPI provider refused to process this request', data: null },
  RPC_ERROR: { type: 'RPC_ERROR', description: 'An RPC error occurred when submitting the request', data: null },
  MALFORMED_INPUT: { type: 'MALFORMED_INPUT', description: 'Please check your input', data: null },
  CANCELLED: { type: 'CANCELED', description: 'The user cancels, or refuses the dapps request', data: null },
  INSUFFICIENT_FUNDS: { type: 'INSUFFICIENT_FUNDS', description: 'The user does not have a sufficient balance to perform the requested action', data: null },
} as const;

export type LegacyError = { type: string; description: string; data: unknown };
const fail = (e: LegacyError, over: Partial<LegacyError> = {}): never => {
  throw { ...e, ...over };
};

/** NeoLine's fee-estimate key (NL extension/background/neo3-tx.ts:37). */
const DUMMY_WIF = 'KyEUreM7QVQvzUMeGSBTKVtQahKumHyWG6Dj331Vqg5ZWJ8EoaC1';
/** What the popup adds as priority fee when api.neoline.io does not answer (src/app/core/services/neo/gas.service.ts). */
export const FALLBACK_PRIORITY_FEE = '0.011';

/** BigNumber(gasconsumed).times(1.01).toFixed(0): half up, as bignumber.js rounds by default. */
const times101 = (gas: string): string => ((BigInt(gas) * 101n + 50n) / 100n).toString();

export interface NeoLineNetwork {
  chainId: number;
  magicNumber: number;
  name: string;
  rpcUrl: string;
}

export class NeoLineDouble {
  readonly account;
  readonly #connected = new Set<string>();

  constructor(private readonly o: { wif: string; label?: string; network: NeoLineNetwork; rpc: Rpc; prompts: Prompts }) {
    this.account = new wallet.Account(o.wif);
  }

  get prompts(): Prompts {
    return this.o.prompts;
  }

  /** One request from the page: what the extension answers, or throws as it rejects. */
  async handle(method: string, p: Record<string, unknown>, hostname: string): Promise<unknown> {
    const a = this.account;
    switch (method) {
      case 'getProvider':
        return { name: 'NeoLine', version: '5.8.2', website: 'https://neoline.io/', compatibility: [], extra: { currency: 'USD' } };
      case 'getNetworks':
        return { chainId: this.o.network.chainId, networks: ['MainNet', 'N3MainNet', 'N3TestNet', 'N3PrivateNet', 'EVM'], defaultNetwork: this.o.network.name };
      case 'getAccount':
        await this.#connect(hostname);
        return { address: a.address, label: this.o.label ?? 'guest', isLedger: false };
      case 'getPublicKey':
        await this.#connect(hostname);
        return { address: a.address, publicKey: a.publicKey };
      case 'signTransaction':
        return this.#signTransaction(p, hostname);
      case 'invoke':
        return this.#invoke(p, hostname);
      case 'invokeMultiple':
        return this.#invokeMultiple(p, hostname);
      case 'signMessage':
        return this.#signMessage(p, hostname);
      default:
        return fail(ERRORS.MALFORMED_INPUT, { description: `not in this double: ${method}` });
    }
  }

  async #connect(hostname: string): Promise<void> {
    if (this.#connected.has(hostname)) return;
    const answer = await this.o.prompts.ask('authorization', { hostname, address: this.account.address });
    if (answer === 'never') return never();
    if (answer === 'no') fail(ERRORS.CONNECTION_DENIED);
    this.#connected.add(hostname);
  }

  async #signTransaction(p: Record<string, unknown>, hostname: string): Promise<unknown> {
    if (p.transaction === undefined && p.context === undefined) fail(ERRORS.MALFORMED_INPUT);
    await this.#connect(hostname);
    const context = p.context as { data: string; items: Record<string, Record<string, unknown>>; network: number } | undefined;
    const t = context ? tx.Transaction.deserialize(Buffer.from(context.data, 'base64').toString('hex')) : new tx.Transaction(p.transaction as never);
    const me = this.account.scriptHash.toLowerCase();
    const signer = t.signers.some((s) => s.account.toBigEndian().toLowerCase() === me) && (!context || !!context.items[me]);
    if (!signer) fail(ERRORS.MALFORMED_INPUT, { description: 'Current account is not a signer in this transaction' });
    const magic = Number((p.magicNumber as number | undefined) ?? context?.network);
    const answer = await this.o.prompts.ask('sign-transaction', { hostname, magicNumber: magic, transaction: t.export() });
    if (answer === 'never') return never();
    if (answer === 'no') fail(ERRORS.CANCELLED);
    // num2hexstring throws on NaN inside the popup; the page's promise never settles.
    if (!Number.isSafeInteger(magic)) return never();
    if (context) {
      const sig = wallet.sign(t.getMessageForSigning(magic), this.account.privateKey);
      const b64 = Buffer.from(sig, 'hex').toString('base64');
      const verification = wallet.getVerificationScriptFromPublicKey(this.account.publicKey);
      const items = {
        ...context.items,
        [me]: {
          script: Buffer.from(verification, 'hex').toString('base64'),
          parameters: [{ type: 'Signature', value: b64 }],
          signatures: { [this.account.publicKey]: b64 },
        },
      };
      t.addWitness(tx.Witness.fromSignature(sig, this.account.publicKey));
      return { ...context, hash: t.hash(), items, data: Buffer.from(t.serialize(true), 'hex').toString('base64') };
    }
    // The popup's Transaction constructor keeps no attributes (neon-core's drops them), then signs and exports.
    t.attributes = [];
    t.sign(this.account, magic);
    return t.export();
  }

  async #invoke(p: Record<string, unknown>, hostname: string): Promise<unknown> {
    const signers = p.signers as Array<{ account?: string; scopes?: unknown }> | undefined;
    if (!p.scriptHash || !p.operation || !Array.isArray(signers) || signers.some((s) => s.account === undefined || s.scopes === undefined))
      fail(ERRORS.MALFORMED_INPUT);
    await this.#connect(hostname);
    const sb = new sc.ScriptBuilder();
    sb.emitContractCall({
      scriptHash: String(p.scriptHash),
      operation: String(p.operation),
      args: ((p.args as unknown[]) ?? []).map((x) => sc.ContractParam.fromJson(x as never)),
    });
    if (p.abortOnFail) sb.emit(sc.OpCode.ASSERT);
    return this.#send(sb.build(), signers!, p, hostname, [String(p.operation)]);
  }

  /**
   * invokeMultiple (extension/dapi/neo3.ts:385-439): signers an array with account
   * and scopes, invokeArgs a non-empty array, else MALFORMED_INPUT (an item without
   * scriptHash or operation is not refused there: the forEach's return rejects nothing);
   * the popup (neo3-invoke-multiple.component.ts, createNeo3Tx in neo3-invoke.service.ts:59-105)
   * builds one script: emitContractCall per item with ASSERT after each abortOnFail one
   * when any has it, else sc.createScript(...invokeArgs); a missing scriptHash or operation
   * there is MALFORMED_INPUT. Fees, prompt and answer as invoke's.
   */
  async #invokeMultiple(p: Record<string, unknown>, hostname: string): Promise<unknown> {
    const signers = p.signers as Array<{ account?: string; scopes?: unknown }> | undefined;
    const items = p.invokeArgs as Array<{ scriptHash?: string; operation?: string; args?: unknown[]; abortOnFail?: boolean }> | undefined;
    if (!Array.isArray(signers) || p.invokeArgs === undefined || signers.some((s) => s.account === undefined || s.scopes === undefined))
      fail(ERRORS.MALFORMED_INPUT);
    if (!Array.isArray(items) || items.length === 0) fail(ERRORS.MALFORMED_INPUT);
    await this.#connect(hostname);
    if (items!.some((i) => !i.scriptHash || !i.operation)) fail(ERRORS.MALFORMED_INPUT);
    const calls = items!.map((i) => ({
      scriptHash: String(i.scriptHash),
      operation: String(i.operation),
      args: (i.args ?? []).map((x) => sc.ContractParam.fromJson(x as never)),
    }));
    let script: string;
    if (items!.some((i) => i.abortOnFail)) {
      const sb = new sc.ScriptBuilder();
      calls.forEach((c, n) => {
        sb.emitContractCall(c);
        if (items![n]!.abortOnFail) sb.emit(sc.OpCode.ASSERT);
      });
      script = sb.build();
    } else script = sc.createScript(...calls);
    return this.#send(
      script,
      signers!,
      p,
      hostname,
      calls.map((c) => c.operation),
    );
  }

  /** What invoke and invokeMultiple share once the script is built: fees, the popup, the wallet's own relay. */
  async #send(
    script: string,
    signers: Array<{ account?: string; scopes?: unknown }>,
    p: Record<string, unknown>,
    hostname: string,
    operations: string[],
  ): Promise<unknown> {
    const rpc = this.o.rpc;
    const rpcError = (e: unknown): never => fail(ERRORS.RPC_ERROR, { data: (e as { rpc?: unknown }).rpc ?? String(e) });
    const height = await rpc<number>('getblockcount', []).catch(rpcError);
    const t = new tx.Transaction({ signers: signers as never, script, validUntilBlock: (p.validUntilBlock as number | undefined) ?? height + 30 });
    if (p.overrideSystemFee) t.systemFee = u.BigInteger.fromDecimal(String(p.overrideSystemFee), 8);
    else {
      const run = await rpc<{ state: string; gasconsumed: string }>('invokescript', [
        u.HexString.fromHex(script).toBase64(),
        t.signers.map((s) => s.toJson()),
      ]).catch(rpcError);
      if (run.state !== 'HALT') fail(ERRORS.RPC_ERROR, { data: run });
      t.systemFee = u.BigInteger.fromNumber(times101(run.gasconsumed)).add(u.BigInteger.fromDecimal(String(p.extraSystemFee ?? 0), 8));
    }
    // The fee estimate: a copy signed with the dummy key, the dummy's witness at the wallet's own index when there are several signers.
    const copy = new tx.Transaction(new tx.Transaction({ signers: t.signers, validUntilBlock: t.validUntilBlock, systemFee: t.systemFee, script: t.script }));
    copy.sign(DUMMY_WIF, this.o.network.magicNumber);
    if (t.signers.length > 1) {
      const mine = copy.witnesses[0]!;
      const at = t.signers.findIndex((s) => s.account.toBigEndian() === this.account.scriptHash);
      copy.witnesses = t.signers.map(() => new tx.Witness({ verificationScript: '', invocationScript: '' }));
      copy.witnesses[at] = mine;
    }
    const fee = await rpc<{ networkfee: string }>('calculatenetworkfee', [Buffer.from(copy.serialize(true), 'hex').toString('base64')]).catch(rpcError);
    const priority = p.fee !== undefined ? String(p.fee) : FALLBACK_PRIORITY_FEE;
    t.networkFee = u.BigInteger.fromNumber(fee.networkfee).add(u.BigInteger.fromDecimal(priority, 8));
    const answer = await this.o.prompts.ask('invoke', {
      hostname,
      operations,
      systemFee: t.systemFee.toString(),
      networkFee: t.networkFee.toString(),
      validUntilBlock: t.validUntilBlock,
    });
    if (answer === 'never') return never();
    if (answer === 'no') fail(ERRORS.CANCELLED);
    // isEnoughFee checks the first signer's GAS against the fees; short of it the popup's Send stays disabled: the guest can only cancel.
    const payer = t.signers[0]!.account.toBigEndian();
    if ((await gasOf(rpc, '0x' + payer)) < BigInt(t.systemFee.toString()) + BigInt(t.networkFee.toString())) fail(ERRORS.CANCELLED);
    t.sign(this.account, this.o.network.magicNumber);
    const sent = await rpc<{ hash: string }>('sendrawtransaction', [Buffer.from(t.serialize(true), 'hex').toString('base64')]).catch(rpcError);
    return { txid: sent.hash, nodeUrl: this.o.network.rpcUrl };
  }

  async #signMessage(p: Record<string, unknown>, hostname: string): Promise<unknown> {
    if (p.message === undefined) fail(ERRORS.MALFORMED_INPUT);
    await this.#connect(hostname);
    const answer = await this.o.prompts.ask('sign-message', { hostname, message: p.message });
    if (answer === 'never') return never();
    if (answer === 'no') fail(ERRORS.CANCELLED);
    const salt = u.ab2hexstring(u.generateRandomArray(16));
    const body = u.str2hexstring(salt + String(p.message));
    const len = body.length / 2;
    const varint = len < 0xfd ? u.num2hexstring(len) : 'fd' + u.num2hexstring(len, 2, true);
    const data = wallet.sign('010001f0' + varint + body + '0000', this.account.privateKey);
    return { publicKey: this.account.publicKey, data, salt, message: p.message };
  }
}
