import { sc, wallet } from '@cityofzion/neon-js';
import { account, bytesParam, call, intParam, type Account, type QlinkClient } from '../gateway/src/chain/index.js';

/**
 * registerRouter needs the owner's and the router's witness; a NEO N3
 * transaction carries at most 16 signers, so one transaction registers the
 * owner's 15 routers at most (one script, one call each).
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
  const results = await Promise.all(groups.map((g) => {
    const script = g.map((r) => call(client.config.contract, 'registerRouter',
      [sc.ContractParam.hash160(owner.address), bytesParam(r.publicKey), intParam(1000n), intParam(50n)])).join('');
    return client.run(script, [owner, ...g]);
  }));
  let fees = 0n;
  for (const r of results) {
    if (r.vmstate !== 'HALT') throw new Error(`router registration ${r.txid} faulted: ${r.exception ?? ''}`);
    fees += r.systemFee + r.networkFee;
  }
  const registered = results.reduce((k, r) => k + r.events.filter((e) => e.name === 'RouterRegistered').length, 0);
  if (registered !== n) throw new Error(`${registered} RouterRegistered events for ${n} routers`);
  return { routers, transactions: results.length, gas: Number(fees) / 1e8, ms: performance.now() - t0 };
}
