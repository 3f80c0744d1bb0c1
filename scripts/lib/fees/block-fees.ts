import type { JsonRpc } from '../../../chain/src/json-rpc.js';
import { asBigInt, type StackItem } from '../../../protocol/src/index.js';

/** A transaction's fees as the block holds them (getrawtransaction: what its sender paid), not as estimated before sending. */
export interface TxFee {
  txid: string;
  /** The first signer: who paid. */
  sender: string;
  systemFee: bigint;
  networkFee: bigint;
  size: number;
  vmstate: string;
  /** What the VM consumed (the application log); the system fee paid is at least this, and is not refunded. */
  gasConsumed: bigint;
}

export const total = (f: Pick<TxFee, 'systemFee' | 'networkFee'>) => f.systemFee + f.networkFee;

/** Reads a transaction in a block; throws unless it HALTed. */
export async function blockFee(rpc: JsonRpc, txid: string): Promise<TxFee> {
  const tx = await rpc.call<{ hash: string; sender: string; sysfee: string; netfee: string; size: number; blockhash?: string }>('getrawtransaction', [
    txid,
    true,
  ]);
  if (!tx.blockhash) throw new Error(`${txid} is not in a block`);
  const log = await rpc.call<{ executions: Array<{ vmstate: string; gasconsumed: string; exception?: string | null }> }>('getapplicationlog', [txid]);
  const ex = log.executions[0]!;
  if (ex.vmstate !== 'HALT') throw new Error(`${txid} faulted: ${ex.exception ?? ''}`);
  return {
    txid,
    sender: tx.sender,
    systemFee: BigInt(tx.sysfee),
    networkFee: BigInt(tx.netfee),
    size: tx.size,
    vmstate: ex.vmstate,
    gasConsumed: BigInt(ex.gasconsumed),
  };
}

const POLICY = '0xcc5e4edd9f5f8dba8bb65734541df7a1c081c67b';

/** The fee policy the chain runs now, read from the native Policy contract. */
export async function chainPolicy(rpc: JsonRpc): Promise<{ execFeeFactor: bigint; storagePrice: bigint; feePerByte: bigint }> {
  const get = async (m: string) => {
    const r = await rpc.call<{ state: string; stack: StackItem[] }>('invokefunction', [POLICY, m, []]);
    if (r.state !== 'HALT') throw new Error(`Policy.${m} faulted`);
    return asBigInt(r.stack[0]);
  };
  return { execFeeFactor: await get('getExecFeeFactor'), storagePrice: await get('getStoragePrice'), feePerByte: await get('getFeePerByte') };
}

export const gasText = (n: bigint, digits = 8) => (Number(n) / 1e8).toFixed(digits);
