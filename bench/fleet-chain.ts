import { wallet } from '@cityofzion/neon-js';
import { account, calls, registerRouterArgs, type Account, type QlinkClient } from '../chain/src/index.js';

/**
 * registerRouter takes the owner's witness and the router's signed claim
 * (chain/src/client.ts), so one transaction signed by the owner alone
 * registers many routers; 15 a transaction keeps each one's script small and
 * the transactions sent side by side.
 */
export const ROUTERS_PER_TX = 15;

export interface Registered {
  routers: Account[];
  transactions: number;
  gas: number;
  ms: number;
}

/**
 * n fresh router keys registered on chain to one owner, in transactions of
 * ROUTERS_PER_TX sent together (distinct keys, so they cannot conflict).
 */
export async function registerFleet(client: QlinkClient, owner: Account, n: number): Promise<Registered> {
  const t0 = performance.now();
  const routers = Array.from({ length: n }, () => account(wallet.generatePrivateKey()));
  const groups: Account[][] = [];
  for (let i = 0; i < n; i += ROUTERS_PER_TX) groups.push(routers.slice(i, i + ROUTERS_PER_TX));
  const results = await Promise.all(
    groups.map((g) => {
      const ownerHash = `0x${owner.scriptHash}`;
      const until = BigInt(Date.now() + 3_600_000);
      const script = calls(
        client.config.contract,
        g.map((r) => ['registerRouter', registerRouterArgs(ownerHash, r.publicKey, until, client.claim(r, ownerHash, until))]),
      );
      return client.run(script, [owner]);
    }),
  );
  let fees = 0n;
  for (const r of results) {
    if (r.vmstate !== 'HALT') throw new Error(`router registration ${r.txid} faulted: ${r.exception ?? ''}`);
    fees += r.systemFee + r.networkFee;
  }
  const registered = results.reduce((k, r) => k + r.events.filter((e) => e.name === 'RouterRegistered').length, 0);
  if (registered !== n) throw new Error(`${registered} RouterRegistered events for ${n} routers`);
  return { routers, transactions: results.length, gas: Number(fees) / 1e8, ms: performance.now() - t0 };
}
