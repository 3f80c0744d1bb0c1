import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FetchJsonRpc } from '../../../chain/src/json-rpc.js';
import {
  contractCallScript,
  encodePlanTerms,
  fromHex,
  planFileSchema,
  planSpecsToTerms,
  privateKeyOfWif,
  scriptHashOf,
  serializeTx,
  signatureInvocation,
  signData,
  toBase64,
  txId,
  verificationScript,
  type ScriptArg,
  type UnsignedTx,
} from '../../../protocol/src/index.js';
import { compressedPublicKey, privateKeyFromHex, signP256 } from '../../../protocol/src/node/index.js';

/** What the daemon's `claim` answers (control/protocol.ts). */
export const claimAnswer = z.object({
  router: z.string(),
  owner: z.string(),
  until: z.string().regex(/^\d+$/),
  sig: z.string().regex(/^[0-9a-f]{128}$/),
  plans: z.array(z.unknown()),
  networkMagic: z.int(),
  contract: z.string(),
  rpcUrl: z.string().nullable(),
});
export type ClaimAnswer = z.infer<typeof claimAnswer>;

/** The owner's key from a WIF file: its private key, public key and script hash (0x…). */
export function ownerFromWifFile(path: string) {
  const key = privateKeyFromHex(privateKeyOfWif(readFileSync(path, 'utf8')));
  const publicKey = compressedPublicKey(key);
  return { key, publicKey, hash: '0x' + scriptHashOf(publicKey) };
}

/**
 * `qlink register --wif-file owner.wif`, for scripts: the daemon signs the
 * router's claim for the owner, and this signs and sends registerRouter with
 * a publishPlan per plan of the router's config in one transaction, witnessed
 * by the owner (the owner's page does the same with a wallet). Standard
 * JSON-RPC only, no neon-js (the router's package has none).
 */
export async function register(owner: ReturnType<typeof ownerFromWifFile>, claim: ClaimAnswer, rpcUrl: string, o: { plans: boolean }) {
  const rpc = new FetchJsonRpc(rpcUrl, 20_000);
  const plans = o.plans && claim.plans.length ? planSpecsToTerms(planFileSchema.parse(claim.plans)) : [];
  const who: ScriptArg = { type: 'Hash160', value: owner.hash };
  const script = contractCallScript(claim.contract, [
    {
      operation: 'registerRouter',
      args: [
        who,
        { type: 'PublicKey', value: claim.router },
        { type: 'Integer', value: BigInt(claim.until) },
        { type: 'ByteArray', value: fromHex(claim.sig, 64) },
      ],
    },
    ...plans.map((p) => ({
      operation: 'publishPlan',
      args: [who, { type: 'Integer', value: p.planId } as ScriptArg, { type: 'ByteArray', value: encodePlanTerms(p.terms) } as ScriptArg],
    })),
  ]);
  const test = await rpc.call<{ state: string; gasconsumed: string; exception?: string | null }>('invokescript', [
    toBase64(script),
    [{ account: owner.hash, scopes: 'CalledByEntry' }],
  ]);
  if (test.state !== 'HALT') throw new Error(`the chain would refuse it: ${test.exception ?? test.state}`);
  const height = await rpc.call<number>('getblockcount', []);
  const t: UnsignedTx = {
    nonce: randomInt(0, 2 ** 32 - 1),
    systemFee: BigInt(test.gasconsumed),
    networkFee: 0n,
    validUntilBlock: height + 100,
    signers: [owner.hash],
    script,
  };
  const verification = verificationScript(owner.publicKey);
  const fee = await rpc.call<{ networkfee: string }>('calculatenetworkfee', [toBase64(serializeTx(t, [{ invocation: new Uint8Array(0), verification }]))]);
  t.networkFee = BigInt(fee.networkfee);
  const sig = signP256(owner.key, signData(t, claim.networkMagic));
  const sent = await rpc.call<{ hash: string }>('sendrawtransaction', [toBase64(serializeTx(t, [{ invocation: signatureInvocation(sig), verification }]))]);
  const txid = sent.hash;
  if (txid !== txId(t)) throw new Error(`the node names the transaction ${txid}, not ${txId(t)}`);
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 1_000))) {
    const log = await rpc.call<{ executions: Array<{ vmstate: string; exception?: string | null }> }>('getapplicationlog', [txid]).catch(() => null);
    const ex = log?.executions[0];
    if (!ex) continue;
    return {
      txid,
      vmstate: ex.vmstate,
      exception: ex.exception ?? null,
      systemFee: t.systemFee.toString(),
      networkFee: t.networkFee.toString(),
      plans: plans.map((p) => p.planId),
    };
  }
  return {
    txid,
    vmstate: 'pending',
    exception: null,
    systemFee: t.systemFee.toString(),
    networkFee: t.networkFee.toString(),
    plans: plans.map((p) => p.planId),
  };
}
