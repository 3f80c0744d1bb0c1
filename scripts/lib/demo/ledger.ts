import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { QlinkClient } from '../../../chain/src/client.js';
import type { Channel } from '../../../protocol/src/index.js';

/** Each wallet's GAS balance at one block height. */
export interface Snapshot {
  height: number;
  gas: Map<string, bigint>;
}

export async function snapshot(client: QlinkClient, addresses: string[]): Promise<Snapshot> {
  const height = await client.rpc.getBlockCount();
  const gas = new Map<string, bigint>();
  for (const a of addresses) gas.set(a, await client.balanceOf(a));
  return { height, gas };
}

export interface Paid {
  fees: bigint;
  txs: string[];
}

/**
 * What each of these addresses paid in fees (system + network) as the
 * sender of a transaction in blocks [from, to): read from the blocks
 * themselves, so a transaction the demo did not know about is counted too.
 */
export async function feesPaid(client: QlinkClient, from: number, to: number, addresses: string[]): Promise<Map<string, Paid>> {
  const out = new Map<string, Paid>(addresses.map((a) => [a, { fees: 0n, txs: [] }]));
  for (let i = from; i < to; i++) {
    const block = await client.rpc.getBlock(i, true);
    for (const t of block.tx ?? []) {
      const p = out.get(t.sender);
      if (!p) continue;
      p.fees += BigInt(t.sysfee) + BigInt(t.netfee);
      p.txs.push(t.hash ?? '');
    }
  }
  return out;
}

export async function channels(client: QlinkClient, ids: bigint[]): Promise<Map<bigint, Channel>> {
  const out = new Map<bigint, Channel>();
  for (const id of ids) {
    const c = await client.getChannel(id);
    if (!c) throw new Error(`channel ${id} is not on chain`);
    out.set(id, c);
  }
  return out;
}

/** The newest voucher per channel that the router holds, read from the agent's own store. */
export function routerVouchers(agentDataDir: string): Map<bigint, bigint> {
  const db = new Database(join(agentDataDir, 'qlink.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT channel_id, amount FROM vouchers').all() as Array<{ channel_id: string; amount: string }>;
    return new Map(rows.map((r) => [BigInt(r.channel_id), BigInt(r.amount)]));
  } finally {
    db.close();
  }
}
