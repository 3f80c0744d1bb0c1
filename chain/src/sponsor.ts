import { sc, tx, u, wallet } from '@cityofzion/neon-js';
import { createHash } from 'node:crypto';
import type { TxContext, TxExport, WalletArg } from '../../protocol/src/index.js';
import type { Account, RPCClient } from './neon.js';
import { GAS, OP_OPEN, type OpenParams } from './scripts.js';
import { ChainError } from './transactor.js';

type Transaction = InstanceType<typeof tx.Transaction>;
type Witness = InstanceType<typeof tx.Witness>;

/**
 * The channel opening as a wallet's `invoke` takes it (NeoLine's legacy dAPI
 * and NEP-21 alike): GAS.transfer(guest, contract, amount, data), then ASSERT
 * (`abortOnFail`), so a transfer that returns false faults instead of
 * passing. The sponsored transaction carries the very same script, so the
 * two paths differ only in who signs first.
 */
export interface WalletInvocation {
  scriptHash: string;
  operation: 'transfer';
  args: WalletArg[];
  abortOnFail: true;
}

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

export function openInvocation(contract: string, guestHash: string, p: OpenParams): WalletInvocation {
  const int = (n: bigint | number): WalletArg => ({ type: 'Integer', value: n.toString() });
  return {
    scriptHash: p.token ?? GAS,
    operation: 'transfer',
    abortOnFail: true,
    args: [
      { type: 'Hash160', value: guestHash },
      { type: 'Hash160', value: contract },
      int(p.amount),
      {
        type: 'Array',
        value: [
          int(OP_OPEN),
          { type: 'ByteArray', value: b64(p.router) },
          { type: 'ByteArray', value: b64(p.voucherKey) },
          int(p.expiry),
          int(p.planId),
          int(p.planVersion),
        ],
      },
    ],
  };
}

/** The script a wallet builds for the invocation (NeoLine: ScriptBuilder.emitContractCall with ContractParam.fromJson args, ASSERT after each abortOnFail call). */
export function invocationScript(inv: { scriptHash: string; operation: string; args: WalletArg[]; abortOnFail?: boolean }): string {
  const sb = new sc.ScriptBuilder();
  sb.emitContractCall({ scriptHash: inv.scriptHash, operation: inv.operation, args: inv.args.map((a) => sc.ContractParam.fromJson(a as never)) });
  if (inv.abortOnFail) sb.emit(sc.OpCode.ASSERT);
  return sb.build();
}

// A key nobody uses, only to price a witness the node would otherwise refuse to
// price: neo-go's calculatenetworkfee checks each verification script against its
// signer, and the gateway does not know every guest's key. A standard account's
// witness costs the same whatever its key, so the estimate is the real fee.
const ESTIMATE_KEY = new wallet.Account(createHash('sha256').update('qlink network fee estimate key').digest('hex'));
const ESTIMATE_VERIFICATION = wallet.getVerificationScriptFromPublicKey(ESTIMATE_KEY.publicKey);

/**
 * The network fee of `t` once every signer has a standard single-key witness:
 * signers whose key is known are priced with it, the others (at most one)
 * with the estimate key standing in for their account.
 */
export async function networkFeeOf(rpc: RPCClient, t: Transaction, keys: Array<string | null>): Promise<bigint> {
  const copy = new tx.Transaction(t.export());
  let stood = false;
  copy.witnesses = copy.signers.map((s, i) => {
    const key = keys[i];
    if (key) return new tx.Witness({ invocationScript: '', verificationScript: wallet.getVerificationScriptFromPublicKey(key) });
    if (stood) throw new ChainError('only one signer without a known key can be priced');
    stood = true;
    s.account = u.HexString.fromHex(ESTIMATE_KEY.scriptHash);
    return new tx.Witness({ invocationScript: '', verificationScript: ESTIMATE_VERIFICATION });
  });
  return BigInt(await rpc.calculateNetworkFee(copy));
}

/** GAS consumed plus a margin per mille, rounded up: what NeoLine does with 1 % (its invoke multiplies by 1.01). */
export const withMargin = (gas: bigint, permille: number): bigint => (gas * BigInt(1000 + permille) + 999n) / 1000n;

export interface TestRun {
  state: string;
  exception: string | null;
  gasconsumed: string;
  notifications: Array<{ contract: string; eventname: string; state: unknown }>;
  stack: unknown[];
}

export interface Sponsorable {
  /** The unsigned transaction (no witnesses): what the gateway signs once the guest has. */
  t: Transaction;
  txid: string;
  systemFee: bigint;
  networkFee: bigint;
  run: TestRun;
}

/**
 * A transaction the sponsor pays for: the sponsor first (scope None: its
 * witness pays and authorises nothing), the guest second (CalledByEntry: the
 * transfer takes the guest's GAS). Test-run with both signers; a run that
 * faults is refused here, before anyone signs. No attributes: NeoLine's
 * signing popup drops them (neon-core's Transaction constructor), and its
 * signature would then be for another transaction.
 */
export async function buildSponsored(
  rpc: RPCClient,
  sponsor: Account,
  guestHash: string | null,
  scriptHex: string,
  opts: { validForBlocks: number; extraSystemFee?: bigint; guestKey?: string | null; marginPermille?: number },
): Promise<Sponsorable> {
  // guestHash null: the sponsor alone signs (a rekey with the guest's signMessage proof needs no other witness).
  const signers = [
    new tx.Signer({ account: sponsor.scriptHash, scopes: tx.WitnessScope.None }),
    ...(guestHash ? [new tx.Signer({ account: guestHash.replace(/^0x/, ''), scopes: tx.WitnessScope.CalledByEntry })] : []),
  ];
  const script = u.HexString.fromHex(scriptHex);
  const run = (await rpc.invokeScript(script, signers)) as unknown as TestRun;
  if (run.state !== 'HALT') throw new ChainError(`test run faulted: ${run.exception ?? 'no reason given'}`);
  const systemFee = withMargin(BigInt(run.gasconsumed), opts.marginPermille ?? 0) + (opts.extraSystemFee ?? 0n);
  const height = await rpc.getBlockCount();
  const t = new tx.Transaction({
    signers,
    script,
    validUntilBlock: height + opts.validForBlocks,
    systemFee: u.BigInteger.fromDecimal(systemFee.toString(), 0),
  });
  const networkFee = await networkFeeOf(rpc, t, guestHash ? [sponsor.publicKey, opts.guestKey ?? null] : [sponsor.publicKey]);
  t.networkFee = u.BigInteger.fromDecimal(networkFee.toString(), 0);
  return { t, txid: '0x' + t.hash(), systemFee, networkFee, run };
}

/** What the guest's wallet signs: neon-js export (NeoLine signTransaction) and a NEP-21 context (sign), items keyed as NeoLine wants them. */
export function offerShapes(t: Transaction, magic: number, keys: Array<string | null>): { transaction: TxExport; context: TxContext } {
  const transaction = t.export() as unknown as TxExport;
  const items: TxContext['items'] = {};
  t.signers.forEach((s, i) => {
    const key = keys[i];
    items[s.account.toBigEndian().toLowerCase()] = {
      ...(key ? { script: b64(wallet.getVerificationScriptFromPublicKey(key)) } : {}),
      parameters: [{ type: 'Signature' }],
      signatures: {},
    };
  });
  return {
    transaction,
    context: { type: 'Neo.Network.P2P.Payloads.Transaction', hash: '0x' + t.hash(), data: b64(t.serialize(false)), items, network: magic },
  };
}

export class NotTheTransaction extends Error {
  override name = 'NotTheTransaction';
}

const STANDARD_VERIFICATION = /^0c21(0[23][0-9a-f]{64})4156e7b327$/;

/**
 * The guest's witness from what the wallet gave back, for the transaction
 * `built` and nothing else: the signed transaction's id must be the built
 * one's (so its script, signers, fees, nonce and validity are the same
 * bytes), and the witness must be a standard single-key signature by the
 * guest's account over this network's signing message. Anything else:
 * NotTheTransaction, and the caller signs nothing.
 */
export function guestWitness(built: Transaction, magic: number, guestHash: string, given: { transaction?: TxExport; context?: TxContext }): Witness {
  const guest = guestHash.replace(/^0x/, '').toLowerCase();
  const want = built.hash();
  let witness: Witness | undefined;
  if (given.transaction) {
    let t: Transaction;
    try {
      t = new tx.Transaction(given.transaction as never);
    } catch (e) {
      throw new NotTheTransaction(`not a transaction: ${(e as Error).message}`);
    }
    if (t.hash() !== want) throw new NotTheTransaction('this is not the transaction the gateway built (its script, signers, fees or validity differ)');
    witness = t.witnesses.find((w) => w.scriptHash.toLowerCase() === guest);
  } else if (given.context) {
    const c = given.context;
    let t: Transaction;
    try {
      t = tx.Transaction.deserialize(Buffer.from(c.data, 'base64').toString('hex'));
    } catch (e) {
      throw new NotTheTransaction(`the context's data is not a transaction: ${(e as Error).message}`);
    }
    if (t.hash() !== want) throw new NotTheTransaction('this is not the transaction the gateway built (its script, signers, fees or validity differ)');
    if (c.network !== magic) throw new NotTheTransaction(`the context is for network ${c.network}, not ${magic}`);
    const item = c.items[guest] ?? c.items['0x' + guest];
    const [key, sig] = Object.entries(item?.signatures ?? {})[0] ?? [];
    if (key && sig) witness = tx.Witness.fromSignature(Buffer.from(sig, 'base64').toString('hex'), key);
    else witness = t.witnesses.find((w) => w.scriptHash.toLowerCase() === guest);
  }
  if (!witness) throw new NotTheTransaction("the guest's signature is missing");
  const verification = witness.verificationScript.toBigEndian().toLowerCase();
  const invocation = witness.invocationScript.toBigEndian().toLowerCase();
  const key = STANDARD_VERIFICATION.exec(verification)?.[1];
  if (!key || !/^0c40[0-9a-f]{128}$/.test(invocation)) throw new NotTheTransaction("the guest's witness is not a single-key signature");
  if (witness.scriptHash.toLowerCase() !== guest) throw new NotTheTransaction("the signature is not by the guest's account");
  if (!wallet.verify(built.getMessageForSigning(magic), invocation.slice(4), key))
    throw new NotTheTransaction("the guest's signature does not verify for this transaction");
  return new tx.Witness({ invocationScript: invocation, verificationScript: verification });
}

/** The built transaction with the sponsor's signature and the guest's witness, in signer order: the bytes to relay. */
export function completeSponsored(built: Transaction, magic: number, sponsor: Account, guest: Witness): Buffer {
  const t = new tx.Transaction(built.export());
  t.witnesses = [];
  t.sign(sponsor, magic);
  t.addWitness(guest);
  if (t.hash() !== built.hash() || t.witnesses.length !== t.signers.length) throw new ChainError('completing the sponsored transaction changed it');
  return Buffer.from(t.serialize(true), 'hex');
}
