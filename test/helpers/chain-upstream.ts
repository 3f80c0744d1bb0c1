import { join } from 'node:path';
import * as tb from '../../scripts/lib/testbed/index.js';
import { parseChainState, type ChainState } from '../../chain/src/config.js';
import { sh } from './testbed.js';

export const RPC_IP = '203.0.113.20';
export const RPC = `http://${RPC_IP}:40332`;

export interface UpstreamChain {
  state: ChainState;
  wif(name: string): string;
  /** --rpc, --magic, --contract for scripts/guest-wallet. */
  base: string[];
  /** scripts/guest-wallet in a host of the testbed, keys in env. */
  wallet(host: string, args: string[], env?: Record<string, string>): Promise<tb.ExecResult>;
  down(): Promise<void>;
}

/**
 * A real chain on "the internet": scripts/chain up inside the testbed's
 * upstream namespace, on an address of its own, so a guest reaches it only
 * through the router (and only if the walled garden lets it). Call down() in
 * the test's teardown; it is safe after a failed start.
 */
export async function chainInUpstream(id: string, dir: string): Promise<UpstreamChain> {
  const env = {
    QLINK_CHAIN_DIR: join(dir, 'chain'),
    QLINK_CHAIN_RPC_ADDR: RPC_IP,
    QLINK_CHAIN_RPC_PORT: '40332',
    QLINK_CHAIN_P2P_PORT: '40333',
    QLINK_CHAIN_RPC_URL: RPC,
  };
  const down = async () => {
    await tb.exec(id, 'upstream', ['scripts/chain', 'down'], { env, timeoutMs: 60_000, cwd: process.cwd() }).catch(() => {});
  };
  await sh(id, 'upstream', `ip addr add ${RPC_IP}/24 dev eth0`);
  const up = await tb.exec(id, 'upstream', ['scripts/chain', 'up'], { env, timeoutMs: 180_000, cwd: process.cwd() });
  if (up.code !== 0) {
    await down();
    throw new Error(`scripts/chain up failed: ${up.stderr.slice(-500)}`);
  }
  const state = parseChainState(up.stdout);
  const base = ['--rpc', RPC, '--magic', String(state.networkMagic), '--contract', state.contract];
  return {
    state,
    base,
    down,
    wif: (name) => state.wallets[name]!.wif,
    wallet: (host, args, extra = {}) =>
      tb.exec(id, host, ['scripts/guest-wallet', ...args, ...base], { env: { NODE_OPTIONS: '', ...extra }, timeoutMs: 60_000, cwd: process.cwd() }),
  };
}
